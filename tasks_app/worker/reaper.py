"""Recover tasks whose worker died or whose queue message was lost (DESIGN §7)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tasks_app import lifecycle, signals
from tasks_app.conf import conf
from tasks_app.dispatch import get_executor
from tasks_app.models import Task, TaskStatus
from tasks_app.registry import registry

logger = logging.getLogger("tasks_app.worker.reaper")
S = TaskStatus
BATCH = 500


@dataclass
class ReapReport:
    failed: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    reenqueued: list[str] = field(default_factory=list)

    def total(self) -> int:
        return sum(len(v) for v in vars(self).values())


def reap() -> ReapReport:
    """End or requeue running tasks with a stale heartbeat; re-enqueue lost pending tasks."""
    report = ReapReport()
    now = timezone.now()
    stale_before = now - timedelta(seconds=conf.STALE_AFTER)
    stale = Task.objects.filter(
        status__in=[S.IN_PROGRESS, S.ABORTING], heartbeat_at__lt=stale_before
    )
    for task in stale.order_by("heartbeat_at")[:BATCH]:
        _reap_running(task, now, report)
    _reenqueue_pending(now, report)
    if report.total():
        logger.warning("Reaper: %s", report, extra={"action": "reap"})
    return report


def _reap_running(task: Task, now, report: ReapReport) -> None:
    lost = (
        "The worker running this task was lost "
        f"(no heartbeat since {task.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)."
    )
    overdue = (
        task.timeout and task.started_at and task.started_at + timedelta(seconds=task.timeout) < now
    )
    definition = registry.get(task.task_type) if task.task_type in registry else None
    if task.status == S.ABORTING:
        target, bucket, message = S.ABORTED, report.aborted, lost
    elif overdue:
        target, bucket = S.TIMED_OUT, report.timed_out
        message = f"The task exceeded its timeout of {task.timeout} s and its worker stopped."
    elif definition is not None and task.attempt <= definition.max_retries:
        _requeue(task, report)
        return
    else:
        target, bucket, message = S.FAILURE, report.failed, lost
    if lifecycle.transition(
        task.pk, current=task.status, target=target, error_message=message, error_type="WorkerLost"
    ):
        bucket.append(str(task.uuid))
        task.refresh_from_db()
        signals.task_finished.send(sender=Task, task=task, status=task.status)


def _requeue(task: Task, report: ReapReport) -> None:
    with transaction.atomic():
        if lifecycle.transition(
            task.pk, current=task.status, target=S.PENDING, worker_id="", heartbeat_at=None
        ):
            task.refresh_from_db()
            get_executor().enqueue(task)
            report.requeued.append(str(task.uuid))


def _reenqueue_pending(now, report: ReapReport) -> None:
    executor = get_executor()
    if not executor.supports_queue_inspection:
        return
    old = now - timedelta(seconds=conf.REQUEUE_PENDING_AFTER)
    candidates = list(
        Task.objects.filter(status=S.PENDING, created_at__lt=old).order_by("created_at")[:BATCH]
    )
    if not candidates:
        return
    queued = executor.queued_task_uuids()
    for task in candidates:
        if str(task.uuid) not in queued:
            with transaction.atomic():
                executor.enqueue(task)
            report.reenqueued.append(str(task.uuid))


def start_reaper_after_spawn(**kwargs) -> None:
    """A new worker process (a first start, or one replacing a worker that died) reaps
    once when a lost sibling's heartbeat has had time to go stale, instead of waiting for
    the next scheduled run."""
    import threading

    def run() -> None:
        from django.db import connection

        try:
            reap()
        except Exception:
            logger.exception("Reaper at worker start failed", extra={"action": "reap"})
        finally:
            connection.close()

    timer = threading.Timer(conf.STALE_AFTER + 1.0, run)
    timer.daemon = True
    timer.start()
