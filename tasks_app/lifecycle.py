"""The task lifecycle: the only writer of a task row's status and run-time columns.

Every status change is a compare-and-set UPDATE on the status the caller expects, checked
against one transition table; a lost race changes nothing and the caller re-reads. The named
operations below are all a worker, the reaper and the services use: :func:`start`,
:func:`record_progress`, :func:`heartbeat`, :func:`finish` (which may retry),
:func:`requeue_lost`, :func:`end_lost`, :func:`refuse`, :func:`request_abort`. Each sends its
signal once, from the call that won the race: ``task_finished`` exactly once per task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from tasks_app import notify, signals, sqlrows
from tasks_app.enums import ACTIVE_STATUSES, TERMINAL_STATUSES, TaskStatus
from tasks_app.exceptions import InvalidTransition, TaskAlreadyFinished, TaskNotAbortable
from tasks_app.models import Task, TaskAttempt, TaskType

logger = logging.getLogger("tasks_app.lifecycle")
S = TaskStatus
RUNNING = (S.IN_PROGRESS, S.ABORTING)

TRANSITIONS: dict[str, frozenset[str]] = {
    # FAILURE from PENDING: a type that is not registered or is disabled is never started.
    S.PENDING: frozenset({S.IN_PROGRESS, S.ABORTED, S.FAILURE}),
    # PENDING from IN_PROGRESS: a retry, or the reaper requeues a task whose worker was lost.
    S.IN_PROGRESS: frozenset({S.SUCCESS, S.FAILURE, S.TIMED_OUT, S.ABORTING, S.PENDING}),
    S.ABORTING: frozenset({S.ABORTED, S.TIMED_OUT, S.FAILURE, S.SUCCESS}),
    S.SUCCESS: frozenset(),
    S.FAILURE: frozenset(),
    S.ABORTED: frozenset(),
    S.TIMED_OUT: frozenset(),
}
# A new attempt starts clean of what the last one left on the row.
ATTEMPT_RESET = {"worker_id": "", "heartbeat_at": None, "started_at": None}
QUEUE_RESET = {"claimed_by": "", "claimed_at": None, "enqueued_at": None}


def is_allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


def check(current: str, target: str) -> None:
    """Raise :class:`InvalidTransition` unless ``current -> target`` is in the table."""
    if not is_allowed(current, target):
        raise InvalidTransition(current, target)


def transition(task_id: int, *, current: str, target: str, **fields: Any) -> bool:
    """Move task ``task_id`` from ``current`` to ``target``, writing ``fields`` too.

    Returns False when the row is no longer in ``current`` (someone else won the race).
    The terminal transition frees the dedup slot and stamps ``ended_at``.
    """
    check(current, target)
    now = timezone.now()
    values = {"status": target, "updated_at": now, **fields}
    if target in TERMINAL_STATUSES:
        values["dedup_key"] = None
        values.setdefault("ended_at", now)
    connection = connections[router.db_for_write(Task)]
    if connection.vendor == "postgresql" and not any(
        hasattr(v, "resolve_expression") for v in values.values()
    ):
        return _update_prepared(connection, task_id, current, values)
    return Task.objects.filter(pk=task_id, status=current).update(**values) == 1


def _update_prepared(connection: Any, task_id: int, current: str, values: dict[str, Any]) -> bool:
    """The compare-and-set UPDATE as one of GTF's prepared statements (the finish of every
    task runs through here)."""
    q = connection.ops.quote_name
    names = sorted(values)  # one statement text per set of columns: prepared once each
    fields = [sqlrows.column(Task, name) for name in names]
    sets = ", ".join(f"{q(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {q(Task._meta.db_table)} SET {sets} "
        f"WHERE {q('id')} = %s AND {q('status')} = %s RETURNING {q('id')}"
    )
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    return sqlrows.fetch(connection, sql, [*params, task_id, current]) is not None


def advance(task: Task, target: str, **fields: Any) -> bool:
    """Move ``task`` to ``target`` from whatever status it has now, re-reading on a lost race
    (operators' tools and tests). Returns False if the task reached a status from which
    ``target`` is not allowed first. ``task`` is refreshed."""
    fresh = False
    while True:
        current = task.status
        if is_allowed(current, target) and transition(
            task.pk, current=current, target=target, **fields
        ):
            task.refresh_from_db()
            return True
        if fresh and not is_allowed(current, target):
            return False
        task.refresh_from_db(fields=["status"])
        fresh = True


def _status(task_id: int) -> str | None:
    return Task.objects.filter(pk=task_id).values_list("status", flat=True).first()


def _finished(task: Task) -> None:
    transaction.on_commit(
        lambda: signals.task_finished.send(sender=Task, task=task, status=task.status),
        using=router.db_for_write(Task),
    )


# -- start ------------------------------------------------------------------------------------


def start(*, task_uuid: Any, worker_id: str) -> Task | None:
    """Take the pending task ``task_uuid`` and mark it IN_PROGRESS: claim and read in one
    statement where the database can (PostgreSQL, SQLite). Returns the started task, or None
    if it was not pending (aborted meanwhile, or taken by another delivery of its message) or
    its type is disabled: the same statement reads the operator's switch, never a cache."""
    now = timezone.now()
    values = {
        "status": S.IN_PROGRESS,
        "started_at": now,
        "heartbeat_at": now,
        "updated_at": now,
        "worker_id": worker_id,
    }
    connection = connections[router.db_for_write(Task)]
    if connection.vendor in ("postgresql", "sqlite"):
        task = _start_returning(connection, task_uuid, values)
    else:
        disabled = TaskType.objects.filter(name=OuterRef("task_type"), enabled=False)
        updated = (
            Task.objects.filter(uuid=task_uuid, status=S.PENDING)
            .filter(~Exists(disabled))
            .update(attempt=F("attempt") + 1, **values)
        )
        task = Task.objects.filter(uuid=task_uuid).first() if updated else None
    if task is not None:
        signals.task_started.send(sender=Task, task=task)
    return task


def _start_returning(connection: Any, task_uuid: Any, values: dict[str, Any]) -> Task | None:
    table = connection.ops.quote_name(Task._meta.db_table)
    sets, params = [], []
    for name, value in values.items():
        f = sqlrows.column(Task, name)
        sets.append(f"{connection.ops.quote_name(f.column)} = %s")
        params.append(f.get_db_prep_save(value, connection))
    attempt = connection.ops.quote_name("attempt")
    sets.append(f"{attempt} = {attempt} + 1")
    uuid_field = Task._meta.get_field("uuid")
    q = connection.ops.quote_name
    types = q(TaskType._meta.db_table)
    columns = sqlrows.returning(connection)
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} "
        f"WHERE {q('uuid')} = %s AND {q('status')} = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {types} WHERE {types}.{q('enabled')} = %s "
        f"AND {types}.{q('name')} = {table}.{q('task_type')}) "
        f"RETURNING {columns}"
    )
    params += [uuid_field.get_db_prep_value(task_uuid, connection), S.PENDING, False]
    row = sqlrows.fetch(connection, sql, params)
    return None if row is None else sqlrows.tasks(connection, [row])[0]


# -- running ----------------------------------------------------------------------------------
def record_progress(task_id: int, fields: Mapping[str, Any]) -> bool:
    """Write progress/payload columns of an active task (``updated_at`` too, for filters)."""
    if not fields:
        return False
    rows = Task.objects.filter(pk=task_id, status__in=ACTIVE_STATUSES)
    return rows.update(updated_at=timezone.now(), **fields) == 1


def heartbeat(beats: Mapping[int, Mapping[str, Any]]) -> None:
    """Stamp ``heartbeat_at`` of running tasks; throttled progress rides along (``beats`` maps a
    task id to the progress columns it has pending, possibly none)."""
    now = timezone.now()
    plain = [task_id for task_id, dirty in beats.items() if not dirty]
    for task_id, dirty in beats.items():
        if dirty:
            Task.objects.filter(pk=task_id, status__in=RUNNING).update(
                heartbeat_at=now, updated_at=now, **dirty
            )
    if plain:
        Task.objects.filter(pk__in=plain, status__in=RUNNING).update(heartbeat_at=now)


def set_abortable(task_id: int) -> None:
    """A running task registered an abort handler: it can be aborted from now on."""
    Task.objects.filter(pk=task_id).update(is_abortable=True)


def start_timeout(task_id: int) -> bool:
    """An abortable task ran past its timeout: ABORTING, so its abort handlers run."""
    return transition(task_id, current=S.IN_PROGRESS, target=S.ABORTING)


# -- ending -----------------------------------------------------------------------------------
@dataclass
class Decision:
    """How an attempt ends: a terminal status, or PENDING with ``run_after`` for a retry."""

    status: str
    fields: dict[str, Any] = field(default_factory=dict)
    run_after: datetime | None = None


def finish(task: Task, decide: Callable[[str], Decision]) -> str | None:
    """End the running ``task``'s attempt as ``decide(current_status)`` says, re-deciding if an
    abort changed the status meanwhile. Returns the status written (None if the row is gone).
    ``task`` is updated in memory; ``task_finished`` is sent when the status is terminal."""
    current: str | None = task.status
    while current is not None:
        decision = decide(current)
        if decision.status == S.PENDING:
            done = _retry(task, current, decision)
        else:
            done = transition(task.pk, current=current, target=decision.status, **decision.fields)
        if done:
            for name, value in decision.fields.items():
                setattr(task, name, value)
            task.status = decision.status
            if decision.status in TERMINAL_STATUSES:
                task.dedup_key = None
                _finished(task)
            return decision.status
        current = _status(task.pk)
    return None


def _retry(task: Task, current: str, decision: Decision) -> bool:
    """Record the attempt that ended, and put the task back in the queue for ``run_after``."""
    now = timezone.now()
    fields = decision.fields
    with transaction.atomic(using=router.db_for_write(Task)):
        if not transition(
            task.pk,
            current=current,
            target=S.PENDING,
            run_after=decision.run_after or now,
            **{**fields, **ATTEMPT_RESET, **QUEUE_RESET},
        ):
            return False
        TaskAttempt.objects.create(
            task_id=task.pk,
            number=task.attempt,
            status=S.FAILURE,
            started_at=task.started_at,
            ended_at=now,
            worker_id=task.worker_id,
            error_message=fields.get("error_message", ""),
            error_type=fields.get("error_type", ""),
            error_traceback=fields.get("error_traceback", ""),
        )
    task.run_after = decision.run_after or now
    logger.info(
        "Task %s attempt %s failed; retry after %s",
        task.uuid,
        task.attempt,
        task.run_after,
        extra={"action": "retry"},
    )
    return True


def requeue_lost(task: Task, *, message: str, run_after: datetime | None = None) -> bool:
    """The worker running ``task`` was lost and its type allows another attempt."""
    decision = Decision(
        S.PENDING,
        {"error_message": message, "error_type": "WorkerLost", "error_traceback": ""},
        run_after,
    )
    return _retry(task, task.status, decision)


def end_lost(task: Task, *, target: str, message: str) -> bool:
    """The worker running ``task`` was lost for good: end it as ``target``."""
    if not transition(
        task.pk,
        current=task.status,
        target=target,
        error_message=message,
        error_type="WorkerLost",
        error_traceback="",  # not the traceback an earlier attempt left on the row
    ):
        return False
    task.refresh_from_db()
    _finished(task)
    return True


def refuse(task: Task, *, message: str, error_type: str) -> bool:
    """A pending task that may not run (type unknown or disabled) ends FAILURE unstarted."""
    if not transition(
        task.pk,
        current=S.PENDING,
        target=S.FAILURE,
        error_message=message,
        error_type=error_type,
        error_traceback="",  # not the traceback an earlier attempt left on the row
    ):
        return False
    task.refresh_from_db()
    _finished(task)
    logger.warning("Task %s not started: %s", task.uuid, message, extra={"action": "refuse"})
    return True


def request_abort(task: Task) -> str:
    """Abort ``task`` as far as its status allows: a pending task ends ABORTED, a running
    abortable one becomes ABORTING and its worker is told. Returns the status it has now;
    raises :class:`TaskAlreadyFinished` or :class:`TaskNotAbortable`."""
    while True:
        current = task.status
        if current == S.ABORTING:
            return current
        if current in TERMINAL_STATUSES:
            raise TaskAlreadyFinished()
        if current == S.PENDING:
            target = S.ABORTED
        elif task.is_abortable:
            target = S.ABORTING
        else:
            raise TaskNotAbortable()
        if transition(task.pk, current=current, target=target):
            task.refresh_from_db()
            if target == S.ABORTING:
                notify.notify_abort(task.pk)
            else:
                _finished(task)
            logger.info("Task %s -> %s", task.uuid, target, extra={"action": "abort"})
            return target
        task.refresh_from_db()
