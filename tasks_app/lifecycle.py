"""The task lifecycle: one transition table, applied as compare-and-set UPDATEs.

Every status change of a task goes through :func:`transition`. It updates the row only if
its status is still the one the caller expects, so a lost race changes nothing and the
caller re-reads instead of overwriting.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tasks_app.exceptions import InvalidTransition
from tasks_app.models import TERMINAL_STATUSES, Task, TaskStatus

S = TaskStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    # FAILURE from PENDING: a type that is not registered or is disabled is never started.
    S.PENDING: frozenset({S.IN_PROGRESS, S.ABORTED, S.FAILURE}),
    # PENDING from IN_PROGRESS: the reaper requeues a lost task whose type allows retries.
    S.IN_PROGRESS: frozenset({S.SUCCESS, S.FAILURE, S.TIMED_OUT, S.ABORTING, S.PENDING}),
    S.ABORTING: frozenset({S.ABORTED, S.TIMED_OUT, S.FAILURE, S.SUCCESS}),
    S.SUCCESS: frozenset(),
    S.FAILURE: frozenset(),
    S.ABORTED: frozenset(),
    S.TIMED_OUT: frozenset(),
}


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
    return Task.objects.filter(pk=task_id, status=current).update(**values) == 1


def advance(task: Task, target: str, **fields: Any) -> bool:
    """Move ``task`` to ``target`` from whatever status it has now, re-reading on a lost race.

    Returns True if this call made the change, False if the task reached a status from
    which ``target`` is not allowed (typically a terminal one) first. ``task`` is refreshed.
    """
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
