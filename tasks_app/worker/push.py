"""Abort push on PostgreSQL: a LISTEN thread per worker process wakes the watcher.

Polling stays the guarantee (docs/design.md, "Execution guarantees"); push only shortens
the wait. A lost notification or a broken listener connection costs at most one poll
interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connections

from tasks_app import notify
from tasks_app.conf import conf

logger = logging.getLogger("tasks_app.worker.push")
# Only worker processes listen: a web or test process must not hold an extra connection.
_worker_process = False


def mark_worker_process(**kwargs: object) -> None:
    """``worker_started`` receiver: this process runs tasks, so it may listen."""
    global _worker_process
    _worker_process = True


def should_listen() -> bool:
    return _worker_process and notify.available()


class AbortListener(threading.Thread):
    """Calls ``on_abort(task_id)`` for every abort notification, reconnecting on failure."""

    def __init__(self, on_abort: Callable[[int], None]) -> None:
        super().__init__(name="gtf-abort-listener", daemon=True)
        self.on_abort = on_abort
        self.stopped = threading.Event()
        self.listening = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self._listen()
            except Exception:
                logger.warning("Abort listener lost its connection; polling covers the gap")
            self.listening.clear()
            self.stopped.wait(conf.ABORT_POLL_INTERVAL)

    def _listen(self) -> None:
        import psycopg

        params = connections[notify.database_alias()].get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f"LISTEN {notify.CHANNEL}")
            self.listening.set()
            while not self.stopped.is_set():
                for note in conn.notifies(timeout=1.0):
                    if note.payload.isdigit():
                        self.on_abort(int(note.payload))

    def stop(self) -> None:
        self.stopped.set()
