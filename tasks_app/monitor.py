"""The watcher thread beside a running task: heartbeats, abort polling, soft timeout."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.conf import conf
from tasks_app.context import TaskContext
from tasks_app.models import Task, TaskStatus

logger = logging.getLogger("tasks_app.monitor")


class Monitor(threading.Thread):
    """Polls the task's status every ``ABORT_POLL_INTERVAL``; heartbeats every
    ``HEARTBEAT_INTERVAL`` (flushing throttled progress with it); turns an abortable task
    that outlives its timeout into ABORTING; runs abort handlers in a thread of their own."""

    def __init__(
        self, ctx: TaskContext, *, timeout: float | None, run_handlers: Callable[[], None]
    ):
        super().__init__(name=f"gtf-monitor-{ctx.task_id}", daemon=True)
        self.ctx = ctx
        self.deadline = time.monotonic() + timeout if timeout else None
        self.run_handlers = run_handlers
        self._stop_event = threading.Event()
        self.handler_thread: threading.Thread | None = None

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=30)

    def run(self) -> None:
        poll = max(float(conf.ABORT_POLL_INTERVAL), 0.01)
        beat_every = max(float(conf.HEARTBEAT_INTERVAL), 0.01)
        next_beat = time.monotonic() + beat_every
        try:
            while not self._stop_event.wait(poll):
                now = time.monotonic()
                status = (
                    Task.objects.filter(pk=self.ctx.task_id)
                    .values_list("status", flat=True)
                    .first()
                )
                if status == TaskStatus.ABORTING:
                    self.abort()
                elif self.deadline is not None and now >= self.deadline:
                    self.time_out()
                if now >= next_beat:
                    self.heartbeat()
                    next_beat = now + beat_every
        except Exception:
            logger.exception(
                "Monitor of task %s stopped", self.ctx.uuid, extra={"action": "monitor"}
            )
        finally:
            connection.close()

    def heartbeat(self) -> None:
        fields = {"heartbeat_at": timezone.now(), **self.ctx.take_dirty()}
        Task.objects.filter(
            pk=self.ctx.task_id, status__in=[TaskStatus.IN_PROGRESS, TaskStatus.ABORTING]
        ).update(**fields)

    def time_out(self) -> None:
        if (
            self.ctx.abort_handlers
            and not self.ctx._aborting.is_set()
            and lifecycle.transition(
                self.ctx.task_id, current=TaskStatus.IN_PROGRESS, target=TaskStatus.ABORTING
            )
        ):
            logger.info("Task %s timed out; aborting", self.ctx.uuid, extra={"action": "timeout"})
            self.abort(timed_out=True)
        # A task without abort handlers runs on until the executor's hard timeout stops it.
        self.deadline = None

    def abort(self, *, timed_out: bool = False) -> None:
        if not self.ctx.mark_aborting(timed_out=timed_out):
            return
        self.handler_thread = threading.Thread(
            target=self._run_handlers, name=f"gtf-abort-{self.ctx.task_id}", daemon=True
        )
        self.handler_thread.start()

    def _run_handlers(self) -> None:
        close_old_connections()
        try:
            self.run_handlers()
        finally:
            connection.close()
