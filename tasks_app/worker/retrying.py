"""Worker-side writes that survive a dropped or refused database connection.

A write that fails with a connection error closes the broken connection, waits a little and
tries again on a new one, for at most ``DB_RETRY_FOR`` seconds: a database that restarts, a
backend that was terminated, a network blip cost a pause, not the task's outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections, router

from tasks_app.conf import conf
from tasks_app.models import Task

logger = logging.getLogger("tasks_app.worker.retrying")
T = TypeVar("T")
CONNECTION_ERRORS = (OperationalError, InterfaceError)
FIRST_WAIT = 0.05
LONGEST_WAIT = 1.0


def drop_connection() -> None:
    """Close this thread's connection to the task database, so the next query opens a new one."""
    with suppress(Exception):
        connections[router.db_for_write(Task)].close()


def call(fn: Callable[[], T], *, what: str, seconds: float | None = None) -> T:
    """``fn()``, retried on connection errors for ``seconds`` (default ``DB_RETRY_FOR``)."""
    limit = conf.DB_RETRY_FOR if seconds is None else seconds
    deadline = time.monotonic() + limit
    wait = FIRST_WAIT
    while True:
        try:
            return fn()
        except CONNECTION_ERRORS as exc:
            if connections[router.db_for_write(Task)].in_atomic_block:
                raise  # the caller's transaction is lost; only the caller can start it again
            drop_connection()
            if time.monotonic() + wait > deadline:
                raise
            logger.warning(
                "%s: database unavailable (%s); trying again in %.2f s",
                what,
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                wait,
                extra={"action": "db_retry"},
            )
            time.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)
