"""What running task code sees: progress, payload, abort and cleanup handlers."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tasks_app import extensions, lifecycle
from tasks_app.conf import conf
from tasks_app.jsonvalues import json_safe
from tasks_app.worker import retrying

logger = logging.getLogger("tasks_app.worker.context")

_current: contextvars.ContextVar[TaskContext | None] = contextvars.ContextVar(
    "gtf_task_context", default=None
)


class TaskAborted(Exception):
    """Raised by :meth:`TaskContext.raise_if_aborting` to stop a task that is being aborted."""


class Retry(Exception):
    """End this attempt and try again: ``raise ctx.retry(after=30)``.

    Counts against the type's ``retries``; once they are used up the task ends FAILURE with
    this message.
    """

    def __init__(self, message: str = "", *, after: float | None = None):
        if after is not None and not (isinstance(after, int | float) and after >= 0):
            raise ValueError("after must be a number of seconds, 0 or more.")
        self.after = after
        super().__init__(message or "The task asked to be retried.")


def get_context() -> TaskContext:
    """The context of the task running in this thread (or asyncio task)."""
    ctx = _current.get()
    if ctx is None:
        raise LookupError("No GTF task is running here.")
    return ctx


def normalise_progress(progress: Any) -> tuple[float | None, float | None, float | None]:
    """``(current, total, percent)`` from a fraction, a count, or ``(current, total)``."""
    if isinstance(progress, bool):
        raise TypeError("progress must be a number or (current, total), not a bool.")
    if isinstance(progress, int):
        if progress < 0:
            raise ValueError("A progress count cannot be negative.")
        return float(progress), None, None
    if isinstance(progress, float):
        if not 0.0 <= progress <= 1.0:
            raise ValueError("A progress fraction must be between 0.0 and 1.0.")
        return None, None, round(progress * 100.0, 2)
    if isinstance(progress, tuple | list) and len(progress) == 2:
        current, total = progress
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in progress):
            raise TypeError("(current, total) must be numbers.")
        if current < 0 or total <= 0:
            raise ValueError("progress needs current >= 0 and total > 0.")
        percent = round(min(current / total, 1.0) * 100.0, 2)
        return float(current), float(total), percent
    raise TypeError("progress must be a fraction (float), a count (int) or (current, total).")


class TaskContext:
    """Handle of a running task, injected into parameters annotated ``TaskContext``."""

    def __init__(
        self,
        *,
        task_id: int,
        uuid: Any,
        task_type: str,
        attempt: int,
        payload: dict[str, Any],
        abortable: bool = False,
    ):
        self.task_id = task_id
        self.declared_abortable = abortable
        self.uuid = uuid
        self.task_type = task_type
        self.attempt = attempt
        self._payload = dict(payload or {})
        self._abort_handlers: list[Callable[[], Any]] = []
        self._cleanup_handlers: list[Callable[[], Any]] = []
        self._aborting = threading.Event()
        self.abort_noticed = False
        self.timed_out = False
        self._lock = threading.Lock()
        self._dirty: dict[str, Any] = {}
        self._last_write = float("-inf")
        self.on_aborting: Callable[[], None] | None = None
        self._db_thread: ThreadPoolExecutor | None = None

    def _write(self, fn: Callable[[], Any]) -> Any:
        """Run a database write; from inside an event loop (async tasks), on a helper thread,
        because Django refuses synchronous queries there."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return fn()
        if self._db_thread is None:
            self._db_thread = ThreadPoolExecutor(1, thread_name_prefix=f"gtf-db-{self.task_id}")
        return self._db_thread.submit(fn).result()

    def _write_retrying(self, fn: Callable[[], Any]) -> Any:
        """:meth:`_write`, waiting out a database outage like the final write does (state reads
        and writes of the running task: losing one would fail the task, not just delay it)."""
        return self._write(lambda: retrying.call(fn, what="state"))

    def close(self) -> None:
        """Release the helper thread (and its connection) used by async tasks."""
        if self._db_thread is not None:
            from django.db import connection

            # Resolve the connection in the helper thread: it is per thread.
            self._db_thread.submit(lambda: connection.close()).result()
            self._db_thread.shutdown()
            self._db_thread = None

    # -- progress and payload ---------------------------------------------------------
    def update(self, *, progress: Any = None, payload: dict[str, Any] | None = None) -> None:
        """Record progress and merge ``payload``; written at most once per ``PROGRESS_THROTTLE``."""
        fields: dict[str, Any] = {}
        if progress is not None:
            current, total, percent = normalise_progress(progress)
            fields.update(progress_current=current, progress_total=total, progress_percent=percent)
        if payload is not None:
            if not isinstance(payload, dict):
                raise TypeError("payload must be a dict; it is merged into the task's payload.")
            with self._lock:
                self._payload.update(json_safe(payload))
                fields["payload"] = dict(self._payload)
        with self._lock:
            self._dirty.update(fields)
            due = time.monotonic() - self._last_write >= conf.PROGRESS_THROTTLE
        if due:
            self.flush()

    def take_dirty(self) -> dict[str, Any]:
        """The unwritten progress/payload columns, marked written."""
        with self._lock:
            dirty, self._dirty = self._dirty, {}
            if dirty:
                self._last_write = time.monotonic()
            return dirty

    def restore_dirty(self, dirty: dict[str, Any]) -> None:
        """Put back progress a write could not store; newer values win."""
        with self._lock:
            self._dirty = {**dirty, **self._dirty}

    def flush(self) -> None:
        """Write pending progress/payload now, touching only those columns. While the database
        is away the write is dropped and its values wait for the next one."""
        dirty = self.take_dirty()
        if not dirty:
            return
        try:
            self._write(lambda: lifecycle.record_progress(self.task_id, dirty))
        except retrying.CONNECTION_ERRORS:
            self._write(retrying.drop_connection)
            self.restore_dirty(dirty)
            logger.warning("Progress of task %s not written: database unavailable", self.uuid)

    @property
    def payload(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._payload)

    # -- abort and cleanup ------------------------------------------------------------
    def on_abort(self, handler: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``handler`` (in a background thread) when the task is aborted; makes it abortable."""
        first = not self.is_abortable
        self._abort_handlers.append(handler)
        if first:
            self._write(
                lambda: retrying.call(
                    lambda: lifecycle.set_abortable(self.task_id), what="set abortable"
                )
            )
        return handler

    def on_cleanup(self, handler: Callable[[], Any]) -> Callable[[], Any]:
        """Run ``handler`` when the task ends, however it ends; last registered runs first."""
        self._cleanup_handlers.append(handler)
        return handler

    @property
    def is_abortable(self) -> bool:
        """Declared abortable by its type, or made so by an abort handler at run time."""
        return self.declared_abortable or bool(self._abort_handlers)

    @property
    def abort_handlers(self) -> list[Callable[[], Any]]:
        return list(self._abort_handlers)

    @property
    def cleanup_handlers(self) -> list[Callable[[], Any]]:
        return list(reversed(self._cleanup_handlers))

    @property
    def is_aborting(self) -> bool:
        """True once an abort (or an abortable task's timeout) reached this task."""
        if self._aborting.is_set():
            self.abort_noticed = True
            return True
        return False

    def retry(self, message: str = "", *, after: float | None = None) -> Retry:
        """The exception that ends this attempt for another one: ``raise ctx.retry(after=30)``
        (``after``: seconds to wait; None: the type's backoff)."""
        return Retry(message, after=after)

    def raise_if_aborting(self) -> None:
        """Raise :class:`TaskAborted` if the task is being aborted."""
        if self.is_aborting:
            raise TaskAborted("The task was aborted.")

    def wait_for_abort(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking early (and returning True) on abort."""
        if self._aborting.wait(timeout):
            self.abort_noticed = True
            return True
        return False

    def mark_aborting(self, *, timed_out: bool = False) -> bool:
        """Called by the worker's monitor; returns False if already marked."""
        if self._aborting.is_set():
            return False
        self.timed_out = timed_out
        self._aborting.set()
        if self.on_aborting is not None:
            self.on_aborting()
        return True

    # -- what other apps add (``ctx.state``, ``ctx.assets`` of state_app) -----------------
    def __getattr__(self, name: str) -> Any:
        factory = extensions.context_factories().get(name)
        if factory is None:
            raise AttributeError(
                f"TaskContext has no attribute {name!r} (no installed app declares it in "
                "its AppConfig.gtf_context)."
            )
        return factory(self)

    # -- ambient access -----------------------------------------------------------------
    def activate(self) -> contextvars.Token:
        return _current.set(self)

    @staticmethod
    def deactivate(token: contextvars.Token) -> None:
        _current.reset(token)
