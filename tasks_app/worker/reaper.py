"""Recover tasks whose worker, cluster or queue message was lost.

- A running task whose heartbeat is older than ``STALE_AFTER`` lost its worker: it gets another
  attempt if its type's retries allow, else it ends (FAILURE, TIMED_OUT if past its timeout,
  ABORTED if it was being aborted).
- A pending task claimed by a cluster node that stopped heartbeating (or claimed longer than
  ``REQUEUE_PENDING_AFTER``) goes back to the queue.
- With an external broker (Redis), a due pending task whose message is not in the queue is
  pushed again; deferred and retried tasks are pushed when they become due.

The keeper of each cluster runs this (:mod:`tasks_app.worker.keeper`); ``gtf_reap`` and the
``gtf.reap`` schedule run it too. Every change is compare-and-set, so runs may overlap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from tasks_app import lifecycle, queue
from tasks_app.conf import conf
from tasks_app.dispatch import get_executor
from tasks_app.enums import TaskStatus
from tasks_app.models import Task
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
    released: int = 0

    def total(self) -> int:
        lists = [v for v in vars(self).values() if isinstance(v, list)]
        return sum(len(v) for v in lists) + self.released


def reap(*, running: bool = True) -> ReapReport:
    """One recovery pass; ``running=False`` leaves running tasks alone (right after a database
    outage, when their heartbeats could not be written)."""
    report = ReapReport()
    now = timezone.now()
    if running:
        reap_running(now, report)
    report.released = queue.release_lost_claims(
        node_dead_before=now - timedelta(seconds=conf.STALE_AFTER),
        claim_older_than=now - timedelta(seconds=conf.REQUEUE_PENDING_AFTER),
    )
    push_lost(now, report)
    if report.total():
        logger.warning("Reaper: %s", report, extra={"action": "reap"})
    return report


def reap_running(now: datetime, report: ReapReport) -> None:
    stale = Task.objects.filter(
        status__in=lifecycle.RUNNING, heartbeat_at__lt=now - timedelta(seconds=conf.STALE_AFTER)
    )
    for task in stale.order_by("heartbeat_at")[:BATCH]:
        _reap_one(task, now, report)


def _reap_one(task: Task, now: datetime, report: ReapReport) -> None:
    beat = task.heartbeat_at or now
    lost = (
        f"The worker running this task was lost (no heartbeat since {beat:%Y-%m-%d %H:%M:%S} UTC)."
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
    elif definition is not None and task.attempt <= definition.retries:
        if lifecycle.requeue_lost(task, message=lost):
            report.requeued.append(str(task.uuid))
            get_executor().enqueue(task)
        return
    else:
        target, bucket, message = S.FAILURE, report.failed, lost
    if lifecycle.end_lost(task, target=target, message=message):
        bucket.append(str(task.uuid))


def push_due() -> None:
    """Between reaper passes: push deferred and retried tasks that just became due."""
    report = ReapReport()
    push_lost(timezone.now(), report)
    if report.reenqueued:
        logger.info("Pushed %d due task(s)", len(report.reenqueued), extra={"action": "push"})


def push_lost(now: datetime, report: ReapReport) -> None:
    """With an external broker, push the pending tasks its queue should hold but does not."""
    executor = get_executor()
    if not executor.pushes_messages:
        return
    lost_before = now - timedelta(seconds=conf.REQUEUE_PENDING_AFTER)
    candidates = queue.due_to_push(now=now, lost_before=lost_before, limit=BATCH)
    if not candidates:
        return
    queued = executor.queued_task_uuids() if executor.supports_queue_inspection else set()
    wanted = {t.pk: t for t in candidates if str(t.uuid) not in queued}
    won = queue.mark_pushed(wanted, now=now, lost_before=lost_before)
    pushed = [wanted[i] for i in won]
    if pushed:
        executor.push(pushed)
        report.reenqueued += [str(t.uuid) for t in pushed]
