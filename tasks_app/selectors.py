"""Reads: which tasks a user may see, and the task list every face pages through."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from tasks_app import rules
from tasks_app.enums import TERMINAL_STATUSES
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import Task, TaskAttempt, TaskQuerySet, TaskSubscriber
from tasks_app.paging import Listing, planner_estimate

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

NEWEST_FIRST = ("-created_at", "-id")
OLDEST_FIRST = ("created_at", "id")
# The same two orders along a user's subscriptions (index gtf_subscriber_user_newest).
SUBSCRIPTION_ORDER = {
    NEWEST_FIRST: ("-task_created_at", "-task_id"),
    OLDEST_FIRST: ("task_created_at", "task_id"),
}


def task_list_visible(*, user: Any) -> TaskQuerySet:
    return Task.objects.visible_to(user).select_related("created_by")


def parse_uuid(value: Any) -> uuid_lib.UUID:
    if isinstance(value, uuid_lib.UUID):
        return value
    try:
        return uuid_lib.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise TaskNotFound() from None


def task_get_visible(*, user: Any, task_uuid: Any) -> Task:
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


class ListColumns(TypedDict):
    """What :func:`with_list_columns` adds to each task."""

    subscriber_count: int
    is_subscribed: bool
    rerun_of_uuid: uuid_lib.UUID | None


# A task read with its list columns (for type checkers: django-stubs' annotated model).
ListedTask: TypeAlias = "WithAnnotations[Task, ListColumns]"


def task_list_annotated(*, user: Any) -> QuerySet[ListedTask]:
    """Visible tasks with what a list page shows (see :func:`with_list_columns`)."""
    return with_list_columns(task_list_visible(user=user), user=user)


def with_list_columns(tasks: QuerySet[Task], *, user: Any) -> QuerySet[ListedTask]:
    """``tasks`` with their creator, subscriber count and "is ``user`` subscribed".

    Correlated subqueries (not JOIN + GROUP BY) so the database counts subscribers only for
    the rows it returns.
    """
    subscribers = TaskSubscriber.objects.filter(task_id=OuterRef("pk"))
    count = subscribers.order_by().values("task_id").annotate(n=Count("*")).values("n")
    user_id = user.pk if user is not None and user.is_authenticated else None
    return tasks.select_related("created_by").annotate(
        subscriber_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        # None (anonymous) is IS NULL: no row; the plugin's lookup check refuses None.
        is_subscribed=Exists(subscribers.filter(user_id=user_id)),  # type: ignore[misc]
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


class TaskListing(Listing):
    """The tasks among ``tasks`` that ``user`` may see, in the order of ``tasks``, with
    :func:`with_list_columns`: what the API list and the task center page through
    (:class:`~tasks_app.paging.CappedPaginator`).

    ``tasks`` is a queryset of all tasks, already filtered and ordered (unordered: newest
    first). Staff read it as it is. For anyone else, newest or oldest first, a page is read
    from two index walks, each stopping once it has the page: the user's private tasks
    (``gtf_task_owner_scope_status``) and their subscriptions (``gtf_subscriber_user_newest``),
    reading a subscribed task's row only to test the filters. Other orders read and sort
    every visible task that matches.
    """

    def __init__(self, *, user: Any, tasks: TaskQuerySet) -> None:
        self.user = user
        self.tasks = tasks if tasks.ordered else tasks.order_by(*NEWEST_FIRST)

    @property
    def order(self) -> tuple[Any, ...]:
        query = self.tasks.query
        return tuple(query.order_by) or tuple(Task._meta.ordering or ())

    def rows(self, start: int, stop: int) -> list[Task]:
        if not rules.is_active_user(self.user):
            return []
        return list(self._page(stop)[start:stop])

    def counted_rows(self, start: int, stop: int, limit: int) -> tuple[list[Any], int | None]:
        """The page and the capped count in one statement: the count is an uncorrelated
        scalar subquery, read once, and the request saves a round trip."""
        if not rules.is_active_user(self.user):
            return [], 0
        ids = self._count_ids(limit)
        try:
            sql, params = ids.query.get_compiler(ids.db).as_sql()
        except EmptyResultSet:  # a filter that matches nothing, known without asking
            return [], 0
        count = RawSQL(f"SELECT COUNT(*) FROM ({sql}) counted", params)
        rows = list(self._page(stop).annotate(listing_count=count)[start:stop])
        return rows, (rows[0].listing_count if rows else None)

    def count_upto(self, limit: int) -> int:
        if not rules.is_active_user(self.user):
            return 0
        return self._count_ids(limit).count()

    def estimate(self) -> int | None:
        if not rules.is_active_user(self.user):
            return 0
        return planner_estimate(self.tasks if self.user.is_staff else self._visible_ids())

    def _page(self, stop: int) -> QuerySet[ListedTask]:
        """The visible tasks in order, read so that the first ``stop`` are cheap."""
        if self.user.is_staff:
            return with_list_columns(self.tasks, user=self.user)
        if self._walkable():
            return self._walks(stop)
        return with_list_columns(self.tasks.filter(id__in=self._all_ids()), user=self.user)

    def _count_ids(self, limit: int) -> QuerySet:
        """At most ``limit`` ids of the visible tasks that match: its rows are the count."""
        if self.user.is_staff:
            return self.tasks.order_by().values("pk")[:limit]
        return self._visible_ids().order_by()[:limit]

    def _walkable(self) -> bool:
        # MySQL cannot LIMIT a subquery of IN.
        features = connections[self.tasks.db].features
        return features.allow_sliced_subqueries_with_in and self.order in SUBSCRIPTION_ORDER

    def _walks(self, stop: int) -> QuerySet[ListedTask]:
        """The first ``stop`` visible tasks: at most ``stop`` from each walk, merged."""
        own = self.tasks.owned_by(self.user).values("id")[:stop]
        order = SUBSCRIPTION_ORDER[self.order]
        followed = self._followed().order_by(*order).values("task_id")[:stop]
        ids: QuerySet
        if connections[self.tasks.db].features.supports_slicing_ordering_in_compound:
            ids = own.union(followed, all=True)
        else:  # each walk in a subquery of its own: SQLite takes no LIMIT on a part of a UNION
            ids = Task.objects.filter(id__in=own).values("id").order_by()
            ids = ids.union(Task.objects.filter(id__in=followed).values("id").order_by(), all=True)
        page = Task.objects.filter(id__in=ids).order_by(*self.order)
        return with_list_columns(page, user=self.user)

    def _followed(self) -> QuerySet[TaskSubscriber]:
        """The user's subscriptions to shared tasks that match the filters, read along
        ``gtf_subscriber_user_newest``. Each task is tested by its key in a scalar subquery,
        which PostgreSQL never turns into a join: a join let it read every task of a status
        and hash them against the subscriptions (19,000 pages for IN_PROGRESS at 1M tasks)."""
        followed = TaskSubscriber.objects.shared_with(self.user)
        if not self.tasks.query.has_filters():  # nothing to test on the task rows
            return followed
        match = self.tasks.filter(pk=OuterRef("task_id")).order_by().values("pk")[:1]
        return followed.alias(match=Subquery(match)).filter(match__isnull=False)

    def _visible_ids(self) -> QuerySet:
        """Ids of the visible tasks that match the filters."""
        if not self.tasks.query.has_filters():  # nothing to test on the task rows
            return self._all_ids()
        own = self.tasks.owned_by(self.user).order_by().values("id")
        return own.union(self._followed().order_by().values("task_id"), all=True)

    def _all_ids(self) -> QuerySet:
        """Ids of every task the user may see, from the two indexes alone: one id list
        (UNION ALL), not an OR, so the database starts from the user's own rows."""
        own = Task.objects.owned_by(self.user).order_by().values("id")
        followed = TaskSubscriber.objects.shared_with(self.user).order_by().values("task_id")
        return own.union(followed, all=True)
