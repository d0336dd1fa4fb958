"""Delete finished tasks and audit rows older than ``RETENTION_DAYS``, in batches (also a
periodic job)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tasks_app import audit, rules
from tasks_app.conf import conf
from tasks_app.exceptions import InvalidInput
from tasks_app.models import OperatorActionKind, Task, TaskQuerySet

logger = logging.getLogger("tasks_app.ops.pruning")


def _positive(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(field, f"{field} must be a whole number of at least 1 (got {value!r}).")
    return value


def prunable(*, older_than_days: int, now: datetime | None = None) -> TaskQuerySet:
    """Finished tasks that ended more than ``older_than_days`` days ago."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    return Task.objects.finished().filter(ended_at__lt=cutoff)


def prune(
    *,
    older_than_days: int | None = None,
    batch_size: int | None = None,
    dry_run: bool = False,
    user: Any = None,
) -> int:
    """Delete (or with ``dry_run`` count) prunable tasks; returns how many.

    Defaults come from ``RETENTION_DAYS`` (None: keep everything) and ``PRUNE_BATCH_SIZE``.
    Each batch is its own transaction, so a long prune never holds one big lock. Audit rows
    older than the same number of days go too; a prune that deleted tasks is recorded.
    ``user``: staff with ``tasks_app.delete_task``; None (the default) is the system.
    """
    rules.require_permission(user, rules.DELETE_TASK)
    days = conf.RETENTION_DAYS if older_than_days is None else older_than_days
    if days is None:
        return 0
    days = _positive("older_than_days", days)
    batch = _positive("batch_size", batch_size or conf.PRUNE_BATCH_SIZE)
    now = timezone.now()
    if dry_run:
        return prunable(older_than_days=days, now=now).count()
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                prunable(older_than_days=days, now=now)
                .order_by("ended_at", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            Task.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    with transaction.atomic():
        audit.actions_prune(older_than_days=days, now=now)
        if deleted:
            audit.record(
                actor=user,
                action=OperatorActionKind.PRUNE,
                target_type="task",
                after={"deleted": deleted, "older_than_days": days},
            )
    if deleted:
        logger.info("Pruned %d finished tasks", deleted, extra={"action": "prune"})
    return deleted


def prune_periodic() -> int:
    """The ``gtf.prune`` periodic job."""
    return prune()
