"""Reads: which tasks a user may see."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from tasks_app import rules
from tasks_app.enums import TERMINAL_STATUSES
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import Task, TaskAttempt, TaskSubscriber


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
        rerun_of_uuid=F("rerun_of__uuid"),
    )


@dataclass(frozen=True)
class AttemptView:
    """One attempt of a task: a retried one (a ``TaskAttempt`` row) or the task row's own."""

    number: int
    status: str
    """The attempt's outcome; the task's status for the current attempt (maybe still running)."""
    started_at: datetime | None
    ended_at: datetime | None
    worker_id: str
    error_message: str
    error_type: str
    error_traceback: str
    is_current: bool
    """True for the attempt that lives on the task row (running, or the one that ended it)."""

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max((self.ended_at - self.started_at).total_seconds(), 0.0)


def task_attempts(*, task: Task) -> list[AttemptView]:
    """Every attempt of ``task``, oldest first: the retried ones, then the current one if it
    started after them. A task waiting for its retry has no current attempt yet; one that
    never started (refused, aborted while pending) has none either."""
    rows = [
        AttemptView(
            number=a.number,
            status=a.status,
            started_at=a.started_at,
            ended_at=a.ended_at,
            worker_id=a.worker_id,
            error_message=a.error_message,
            error_type=a.error_type,
            error_traceback=a.error_traceback,
            is_current=False,
        )
        for a in TaskAttempt.objects.filter(task_id=task.pk).order_by("number")
    ]
    last = rows[-1].number if rows else 0
    if task.attempt > last:
        # The row keeps the last retried attempt's error until this attempt ends.
        ended = task.status in TERMINAL_STATUSES
        rows.append(
            AttemptView(
                number=task.attempt,
                status=task.status,
                started_at=task.started_at,
                ended_at=task.ended_at if ended else None,
                worker_id=task.worker_id,
                error_message=task.error_message if ended else "",
                error_type=task.error_type if ended else "",
                error_traceback=task.error_traceback if ended else "",
                is_current=True,
            )
        )
    return rows
