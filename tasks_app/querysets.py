"""Reusable task queries (visibility, activity)."""

from __future__ import annotations

from django.db import models


class TaskQuerySet(models.QuerySet):
    def active(self):
        from tasks_app.models import ACTIVE_STATUSES

        return self.filter(status__in=ACTIVE_STATUSES)

    def finished(self):
        from tasks_app.models import TERMINAL_STATUSES

        return self.filter(status__in=TERMINAL_STATUSES)

    def visible_to(self, user):
        """Tasks ``user`` may see (DESIGN §5): staff all; others their private tasks and
        the shared tasks they subscribe to; anonymous nothing."""
        from tasks_app.models import TaskScope, TaskSubscriber

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self
        own = (
            self.model.objects.filter(scope=TaskScope.PRIVATE, created_by_id=user.pk)
            .order_by()
            .values("id")
        )
        followed = (
            TaskSubscriber.objects.filter(user_id=user.pk, task__scope=TaskScope.SHARED)
            .order_by()
            .values("task_id")
        )
        # One id list (UNION ALL), not an OR: the database starts from the user's own rows
        # instead of testing every task of a status against a subquery.
        return self.filter(id__in=own.union(followed, all=True))
