"""One watcher thread per worker process: heartbeats, abort polling, soft timeouts.

It watches every task running in the process with one status query per poll, keeps its
own database connection open, and runs abort handlers in a thread of their own.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from tasks_app import lifecycle
from tasks_app.conf import conf
from tasks_app.models import Task, TaskStatus
from tasks_app.worker import push, retrying
from tasks_app.worker.context import TaskContext

logger = logging.getLogger("tasks_app.worker.monitor")


@dataclass(eq=False)
class Watch:
    ctx: TaskContext
    deadline: float | None
    run_handlers: Callable[[], None]
    handler_thread: threading.Thread | None = None
    next_beat: float = field(default_factory=time.monotonic)
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def abort(self, *, timed_out: bool = False) -> None:
        with self.lock:
            if self.closed or self.handler_thread is not None:
                return
            self.handler_thread = threading.Thread(
                target=self._handlers, name=f"gtf-abort-{self.ctx.task_id}", daemon=True
            )
            self.handler_thread.start()
            self.ctx.mark_aborting(timed_out=timed_out)

    def close(self) -> threading.Thread | None:
        """No abort starts after this; returns the abort-handler thread to wait for, if any."""
        with self.lock:
            self.closed = True
            return self.handler_thread

    def _handlers(self) -> None:
        close_old_connections()
        try:
            self.run_handlers()
        finally:
            connection.close()


class Watcher(threading.Thread):
    _instance: Watcher | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        super().__init__(name="gtf-watcher", daemon=True)
        self.pid = os.getpid()
        self._watches: dict[int, Watch] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._poked = False
        self._last_poll = time.monotonic()
        self._wake_at = self._last_poll  # when the loop means to wake next, under _lock
        self.listener = push.AbortListener(self.poke) if push.should_listen() else None

    @classmethod
    def shared(cls) -> Watcher:
        """The process's watcher, started on first use (and again in a forked child)."""
        with cls._instance_lock:
            inst = cls._instance
            if inst is None or inst.pid != os.getpid() or not inst.is_alive():
                inst = cls._instance = cls()
                inst.start()
                if inst.listener is not None:
                    inst.listener.start()
            return inst

    def watch(self, ctx: TaskContext, *, timeout: float | None, run_handlers) -> Watch:
        beat = conf.HEARTBEAT_INTERVAL
        w = Watch(
            ctx=ctx,
            deadline=time.monotonic() + timeout if timeout else None,
            run_handlers=run_handlers,
            next_beat=time.monotonic() + beat,
        )
        with self._lock:
            self._watches[ctx.task_id] = w
            # Woken only if this watch is due before the loop wakes anyway: a thread switch
            # per task is most of a short task's watching cost.
            sooner = min(w.next_beat, w.deadline or w.next_beat) < self._wake_at
        if sooner:
            self._wake.set()
        return w

    def poke(self, task_id: int) -> None:
        """An abort was announced: check now instead of at the next poll."""
        if task_id in self._watches:
            self._poked = True
            self._wake.set()

    def unwatch(self, w: Watch) -> None:
        with self._lock:
            self._watches.pop(w.ctx.task_id, None)

    def run(self) -> None:
        while True:
            self._wake.wait(self._next_wait())
            self._wake.clear()
            with self._lock:
                watches = list(self._watches.values())
            now = time.monotonic()
            poll = self._poked or now >= self._last_poll + conf.ABORT_POLL_INTERVAL
            if poll:
                self._poked, self._last_poll = False, now
            if not watches:
                # Idle: hold no connection (it would also block dropping a test database).
                connection.close()
                continue
            try:
                self.tick(watches, poll=poll)
            except Exception:
                logger.exception("Watcher tick failed", extra={"action": "watch"})
                connection.close()

    def _next_wait(self) -> float:
        """Until the next status poll, or sooner the nearest deadline or heartbeat of a watch."""
        now = time.monotonic()
        wait = self._last_poll + conf.ABORT_POLL_INTERVAL - now
        with self._lock:
            for w in self._watches.values():
                wait = min(wait, w.next_beat - now)
                if w.deadline is not None:
                    wait = min(wait, w.deadline - now)
            wait = max(wait, 0.01)
            self._wake_at = now + wait
        return wait

    def tick(self, watches: list[Watch], *, poll: bool = True) -> None:
        close_old_connections()
        statuses = self.statuses(watches) if poll else {}
        now = time.monotonic()
        due = []
        for w in watches:
            if statuses.get(w.ctx.task_id) == TaskStatus.ABORTING:
                w.abort()
            elif w.deadline is not None and now >= w.deadline:
                self.time_out(w)
            if now >= w.next_beat:
                due.append(w)
                w.next_beat = now + conf.HEARTBEAT_INTERVAL
        if due:
            self.heartbeat(due)

    def statuses(self, watches: list[Watch]) -> dict[int, str]:
        """The abort poll: one query for the status of every watched task."""
        ids = [w.ctx.task_id for w in watches]
        try:
            return dict(Task.objects.filter(pk__in=ids).values_list("pk", "status"))
        except retrying.CONNECTION_ERRORS:
            retrying.drop_connection()  # the database is away: timeouts still count
            return {}

    def heartbeat(self, watches: list[Watch]) -> None:
        # Throttled progress rides along with the heartbeat.
        beats = {w.ctx.task_id: w.ctx.take_dirty() for w in watches}
        try:
            lifecycle.heartbeat(beats)
        except retrying.CONNECTION_ERRORS:
            retrying.drop_connection()
            for w in watches:  # the progress waits for the next write
                w.ctx.restore_dirty(beats[w.ctx.task_id])
            logger.warning("Heartbeat not written: database unavailable", extra={"action": "beat"})

    def time_out(self, w: Watch) -> None:
        w.deadline = None
        if not w.ctx.is_abortable:
            return  # runs on until the executor's hard timeout stops it
        if retrying.call(lambda: lifecycle.start_timeout(w.ctx.task_id), what="timeout"):
            logger.info("Task %s timed out; aborting", w.ctx.uuid, extra={"action": "timeout"})
            w.abort(timed_out=True)
