"""Reads: which tasks a user may see."""

from __future__ import annotations

import uuid as uuid_lib
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from tasks_app import rules
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import Task, TaskSubscriber


def task_list_visible(*, user) -> "QuerySet[Task]":  # noqa: F821, UP037
    return Task.objects.visible_to(user).select_related("created_by")


def parse_uuid(value) -> uuid_lib.UUID:
    if isinstance(value, uuid_lib.UUID):
        return value
    try:
        return uuid_lib.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise TaskNotFound() from None


def task_get_visible(*, user, task_uuid) -> Task:
    """The task ``task_uuid`` if ``user`` may see it; :class:`TaskNotFound` otherwise."""
    task = task_list_visible(user=user).filter(uuid=parse_uuid(task_uuid)).first()
    if task is None:
        raise TaskNotFound()
    return task


def is_subscribed(*, task: Task, user: Any) -> bool:
    if not rules.is_active_user(user):
        return False
    subscribed = getattr(task, "is_subscribed", None)  # annotated by task_list_annotated
    if subscribed is not None:
        return bool(subscribed)
    return TaskSubscriber.objects.filter(task=task, user_id=user.pk).exists()


def may_see(user: Any, task: Task) -> bool:
    """Whether ``user`` may see the loaded ``task`` (the rule of :mod:`tasks_app.rules`)."""
    return rules.may_see(user, task, is_subscribed=lambda: is_subscribed(task=task, user=user))


def task_list_annotated(*, user) -> "QuerySet[Task]":  # noqa: F821, UP037
    """Visible tasks with what a list page shows, at a constant number of queries per page.

    Correlated subqueries (not JOIN + GROUP BY) so the database counts subscribers only for
    the rows of the page it returns.
    """
    subscribers = TaskSubscriber.objects.filter(task_id=OuterRef("pk"))
    count = subscribers.order_by().values("task_id").annotate(n=Count("*")).values("n")
    user_id = user.pk if user is not None and user.is_authenticated else None
    return task_list_visible(user=user).annotate(
        subscriber_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        is_subscribed=Exists(subscribers.filter(user_id=user_id)),
    )
