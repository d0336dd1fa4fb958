"""Removal of expired task state (the ``gtf_state_cleanup`` command and schedule)."""

from __future__ import annotations

import logging

from django.utils import timezone

from state_app.models import TaskState

logger = logging.getLogger("state_app.cleanup")


def state_cleanup(*, batch_size: int = 1000, dry_run: bool = False) -> int:
    """Delete expired task state in batches of ``batch_size``; returns how many rows
    were (or, with ``dry_run``, would be) deleted. Reads never see these rows anyway."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError("batch_size must be a positive integer.")
    now = timezone.now()
    expired = TaskState.objects.expired(now)
    if dry_run:
        return expired.count()
    total = 0
    while True:
        # Short transactions: one batch of ids at a time, never one huge DELETE.
        ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        total += TaskState.objects.filter(pk__in=ids).expired(now).delete()[0]
        if len(ids) < batch_size:
            break
    if total:
        logger.info("Deleted %d expired task state rows", total, extra={"action": "cleanup"})
    return total
