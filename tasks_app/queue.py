"""The task table as the queue: cluster nodes claim due pending tasks, a dead node's claims go
back, and tasks meant for an external broker (Redis) are pushed again when their message was
lost.

A claim only says "this node will start it"; starting is still the compare-and-set of
:func:`tasks_app.lifecycle.start`, so a task claimed twice (a claim released too early, a
message delivered twice) still runs once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from tasks_app import sqlrows
from tasks_app.enums import TaskStatus
from tasks_app.models import ClusterNode, Task

S = TaskStatus


@dataclass(frozen=True)
class Claimed:
    """A task a node claimed: what it needs to hand the task to a worker."""

    id: int
    uuid: str
    task_type: str
    timeout: int | None


def _due(now: datetime) -> Q:
    return Q(status=S.PENDING, claimed_by="", run_after__lte=now)


def claim(*, node: str, limit: int) -> list[Claimed]:
    """Claim up to ``limit`` due pending tasks for ``node``, oldest first, in one statement
    where the database allows (PostgreSQL with ``SKIP LOCKED``, SQLite)."""
    now = timezone.now()
    connection = connections[router.db_for_write(Task)]
    if connection.vendor in ("postgresql", "sqlite"):
        return _claim_returning(connection, node, limit, now)
    with transaction.atomic(using=connection.alias):
        rows = list(
            Task.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("run_after", "id")
            .values_list("id", "uuid", "task_type", "timeout")[:limit]
        )
        if rows:
            Task.objects.filter(id__in=[r[0] for r in rows]).update(claimed_by=node, claimed_at=now)
    return [Claimed(i, str(u), t, s) for i, u, t, s in rows]


def _claim_returning(connection: Any, node: str, limit: int, now: datetime) -> list[Claimed]:
    q = connection.ops.quote_name
    table = q(Task._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET {q('claimed_by')} = %s, {q('claimed_at')} = %s "
        f"WHERE {q('id')} IN (SELECT {q('id')} FROM {table} "
        f"WHERE {q('status')} = %s AND {q('claimed_by')} = '' AND {q('run_after')} <= %s "
        f"ORDER BY {q('run_after')}, {q('id')} LIMIT %s{lock}) "
        f"RETURNING {q('id')}, {q('uuid')}, {q('task_type')}, {q('timeout')}"
    )
    stamp = Task._meta.get_field("claimed_at").get_db_prep_save(now, connection)
    fields = [sqlrows.column(Task, n) for n in ("id", "uuid", "task_type", "timeout")]
    rows = sqlrows.fetch(connection, sql, [node, stamp, S.PENDING, stamp, limit], many=True)
    claimed = [sqlrows.convert(connection, fields, row) for row in rows]
    return [Claimed(i, str(u), t, s) for i, u, t, s in claimed]


def claim_delivered(*, node: str, uuids: Iterable[str]) -> None:
    """An external broker delivered these tasks' messages to ``node`` (they now wait in its
    memory): mark them claimed, so the node's death sends them back to the queue."""
    Task.objects.filter(uuid__in=list(uuids), status=S.PENDING, claimed_by="").update(
        claimed_by=node, claimed_at=timezone.now()
    )


# -- nodes --------------------------------------------------------------------------------------
def node_heartbeat(*, name: str, host: str, pid: int, started_at: datetime) -> None:
    """The keeper of a running cluster says it is alive."""
    now = timezone.now()
    if not ClusterNode.objects.filter(name=name).update(heartbeat_at=now):
        ClusterNode.objects.bulk_create(
            [ClusterNode(name=name, host=host, pid=pid, started_at=started_at, heartbeat_at=now)],
            ignore_conflicts=True,
        )


def node_leave(name: str) -> int:
    """A cluster that stops hands its claims back at once, and leaves."""
    released = Task.objects.filter(status=S.PENDING, claimed_by=name).update(
        claimed_by="", claimed_at=None
    )
    ClusterNode.objects.filter(name=name).delete()
    return released


def release_lost_claims(*, node_dead_before: datetime, claim_older_than: datetime) -> int:
    """Give back the pending tasks claimed by nodes that stopped heartbeating (or by none we
    know), and claims older than ``claim_older_than`` whoever holds them; forget dead nodes.
    Returns how many tasks went back to the queue."""
    live = ClusterNode.objects.filter(heartbeat_at__gte=node_dead_before).values("name")
    claimed = Task.objects.filter(status=S.PENDING).exclude(claimed_by="")
    stale = claimed.filter(
        Q(claimed_at__lt=node_dead_before) & ~Q(claimed_by__in=live)
        | Q(claimed_at__lt=claim_older_than)
    )
    released = stale.update(claimed_by="", claimed_at=None)
    ClusterNode.objects.filter(heartbeat_at__lt=node_dead_before).delete()
    return released


# -- external brokers ---------------------------------------------------------------------------
def due_to_push(*, now: datetime, lost_before: datetime, limit: int) -> list[Task]:
    """Pending tasks an external broker should hold but may not: deferred or retried tasks that
    became due and were never pushed, and tasks due since ``lost_before`` whose last push (or
    submit) is older than that (the message may be lost; the caller checks the queue)."""
    unclaimed = Task.objects.filter(status=S.PENDING, claimed_by="", run_after__lte=now)
    never_pushed_deferred = Q(enqueued_at__isnull=True, run_after__gt=F("created_at"))
    maybe_lost = Q(run_after__lt=lost_before) & (
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost_before)
    )
    return list(unclaimed.filter(never_pushed_deferred | maybe_lost).order_by("run_after")[:limit])


def mark_pushed(task_ids: Iterable[int], *, now: datetime, lost_before: datetime) -> list[int]:
    """Take the right to push these tasks (compare-and-set on ``enqueued_at``), so two keepers
    never push the same task at once. Returns the ids this call may push."""
    ids = list(task_ids)
    won = []
    for task_id in ids:
        if (
            Task.objects.filter(pk=task_id, status=S.PENDING, claimed_by="")
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lost_before))
            .update(enqueued_at=now)
        ):
            won.append(task_id)
    return won


def unmark_pushed(task_ids: Iterable[int], *, now: datetime) -> None:
    """The push marked at ``now`` failed: the tasks are due for a push again."""
    Task.objects.filter(pk__in=list(task_ids), enqueued_at=now).update(enqueued_at=None)
