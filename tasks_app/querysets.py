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
        subscribed = TaskSubscriber.objects.filter(user_id=user.pk).values("task_id")
        return self.filter(
            models.Q(scope=TaskScope.PRIVATE, created_by_id=user.pk)
            | models.Q(scope=TaskScope.SHARED, id__in=subscribed)
        )
