"""Reads: which tasks a user may see."""

from __future__ import annotations

import uuid as uuid_lib

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


def is_subscribed(*, task: Task, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return TaskSubscriber.objects.filter(task=task, user_id=user.pk).exists()
