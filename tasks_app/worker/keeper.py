"""The keeper: a process of each cluster, started by its guard process, that no backlog can
starve (it is a process of its own, not a job in the queue, and not a thread of the guard:
SQLite connections must not be open in a process that forks workers).

Every tick it heartbeats the cluster node and, every ``HEARTBEAT_INTERVAL``, runs the reaper:
running tasks whose worker was lost, pending tasks a dead node had claimed, and (with Redis)
messages the broker lost. With an external broker it also pushes deferred and retried tasks
once they are due, every second. Bounds, with the defaults in brackets:

- a task whose worker died ends or is retried within ``STALE_AFTER`` + ``HEARTBEAT_INTERVAL``
  (60 + 10 s);
- tasks a killed cluster had claimed run again within ``STALE_AFTER`` + ``HEARTBEAT_INTERVAL``;
- a deferred task is handed to a worker within 1 s of its time (plus the queue's own wait).

After a database outage the keeper waits ``STALE_AFTER`` before judging running tasks, so
heartbeats that could not be written meanwhile are not mistaken for lost workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from typing import Any

from django.db import close_old_connections, connection, connections

from tasks_app import queue
from tasks_app.conf import conf
from tasks_app.worker import reaper, retrying

logger = logging.getLogger("tasks_app.worker.keeper")
TICK = 1.0


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


class Keeper(_context().Process):  # type: ignore[misc]
    def __init__(self, *, node: Any) -> None:
        super().__init__(name="gtf-keeper", daemon=True)
        self.node = node
        self.parent_pid = os.getpid()
        self._next_beat = 0.0
        self._next_reap = 0.0
        self._database_back = float("-inf")
        self._database_down = False

    def start(self) -> None:
        connections.close_all()  # a connection open across fork breaks SQLite in both processes
        super().start()

    def run(self) -> None:
        while os.getppid() == self.parent_pid:
            try:
                self.tick()
            except retrying.CONNECTION_ERRORS:
                retrying.drop_connection()
                if not self._database_down:
                    logger.warning("Keeper: database unavailable", extra={"action": "keeper"})
                self._database_down = True
            except Exception:
                logger.exception("Keeper tick failed", extra={"action": "keeper"})
                connection.close()
            time.sleep(min(TICK, conf.HEARTBEAT_INTERVAL))
        # The guard process is gone (stopped, or killed on its own): what this node had claimed
        # goes back to the queue now rather than after STALE_AFTER.
        try:
            queue.node_leave(self.node.name)
        except Exception:
            logger.warning("Keeper could not release this node's claims", exc_info=True)

    def tick(self) -> None:
        close_old_connections()
        now = time.monotonic()
        if now >= self._next_beat:
            queue.node_heartbeat(
                name=self.node.name,
                host=self.node.host,
                pid=self.node.pid,
                started_at=self.node.started_at,
            )
            self._next_beat = now + conf.HEARTBEAT_INTERVAL
        if self._database_down:
            self._database_down = False
            self._database_back = now
            logger.info("Keeper: database back", extra={"action": "keeper"})
        if now >= self._next_reap:
            # Heartbeats that failed during an outage get STALE_AFTER to resume first.
            judge_running = now - self._database_back >= conf.STALE_AFTER
            reaper.reap(running=judge_running)
            self._next_reap = now + conf.HEARTBEAT_INTERVAL
        else:
            reaper.push_due()
