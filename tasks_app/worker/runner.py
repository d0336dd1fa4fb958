"""The one entry point a worker calls: run the task with this uuid, start to finish."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.utils import timezone

from tasks_app import availability, lifecycle, signals
from tasks_app.conf import conf
from tasks_app.exceptions import UnknownTaskType
from tasks_app.jsonvalues import clean_text, json_safe
from tasks_app.models import Task, TaskStatus
from tasks_app.registry import TaskDefinition, registry
from tasks_app.worker.context import TaskAborted, TaskContext
from tasks_app.worker.monitor import Watcher

logger = logging.getLogger("tasks_app.worker.runner")
S = TaskStatus


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Outcome:
    result: Any = None
    error: BaseException | None = None
    handler_errors: list[str] = field(default_factory=list)
    hard_timeout: bool = False


def _error_fields(exc: BaseException) -> dict[str, str]:
    """Message, type and the traceback of *this* exception, not of whatever was last handled."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {
        "error_message": clean_text(str(exc) or type(exc).__name__),
        "error_type": clean_text(f"{type(exc).__module__}.{type(exc).__qualname__}"),
        "error_traceback": clean_text(tb),
    }


def _fail_unstarted(task: Task, message: str, error_type: str) -> None:
    if lifecycle.transition(
        task.pk, current=S.PENDING, target=S.FAILURE, error_message=message, error_type=error_type
    ):
        task.refresh_from_db()
        signals.task_finished.send(sender=Task, task=task, status=task.status)
    logger.warning("Task %s not started: %s", task.uuid, message, extra={"action": "refuse"})


def run_task(task_uuid: str) -> str | None:
    """Run the pending task ``task_uuid``; return its final status, or None if not run.

    A task that is not PENDING (aborted meanwhile, or already taken by another delivery of
    the same message) is left alone, so a redelivered message never runs a task twice.
    """
    task = Task.objects.filter(uuid=task_uuid).first()
    if task is None or task.status != S.PENDING:
        logger.info("Task %s not run: %s", task_uuid, "missing" if task is None else task.status)
        return None
    try:
        definition = registry.get(task.task_type)
    except UnknownTaskType:
        _fail_unstarted(
            task,
            f"Task type {task.task_type!r} is not registered in this worker.",
            "UnknownTaskType",
        )
        return S.FAILURE
    reason = availability.start_refusal(definition.name)
    if reason:
        _fail_unstarted(task, reason, "TaskRefused")
        return S.FAILURE
    now = timezone.now()
    started = {"started_at": now, "heartbeat_at": now, "worker_id": worker_id()}
    if not lifecycle.transition(
        task.pk, current=S.PENDING, target=S.IN_PROGRESS, attempt=F("attempt") + 1, **started
    ):
        return None
    # The row now holds exactly these values; no need to read it back.
    task.status, task.attempt = S.IN_PROGRESS, task.attempt + 1
    for name, value in started.items():
        setattr(task, name, value)
    signals.task_started.send(sender=Task, task=task)
    return Execution(task, definition).run()


class Execution:
    def __init__(self, task: Task, definition: TaskDefinition):
        self.task = task
        self.definition = definition
        self.ctx = TaskContext(
            task_id=task.pk,
            uuid=task.uuid,
            task_type=task.task_type,
            attempt=task.attempt,
            payload=task.payload,
            abortable=definition.abortable,
        )
        self.outcome = Outcome()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_task: asyncio.Task | None = None

    def run(self) -> str:
        watcher = Watcher.shared()
        watch = watcher.watch(
            self.ctx, timeout=self.task.timeout, run_handlers=self._run_abort_handlers
        )
        self.ctx.on_aborting = self._cancel_async
        token = self.ctx.activate()
        try:
            self.outcome.result = self._call()
        except SystemExit as exc:
            # Django-Q2's hard timeout raises a SystemExit subclass inside the task.
            self.outcome.error = exc
            self.outcome.hard_timeout = True
        except (Exception, asyncio.CancelledError) as exc:
            self.outcome.error = exc
        finally:
            watcher.unwatch(watch)
            self.ctx.deactivate(token)
            self.ctx.close()
        handlers = watch.close()
        if handlers is not None:
            handlers.join(timeout=conf.HARD_TIMEOUT_GRACE)
        self.outcome.handler_errors += self._run_handlers(self.ctx.cleanup_handlers, "cleanup")
        status = self._finish()
        if self.outcome.hard_timeout:
            raise self.outcome.error  # let the executor recycle the worker process
        return status

    def _kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.task.parameters or {})
        for name, attribute in self.definition.signature.injected.items():
            kwargs[name] = getattr(self.ctx, attribute) if attribute else self.ctx
        return kwargs

    def _call(self) -> Any:
        func = self.definition.func
        if not self.definition.is_async:
            return func(**self._kwargs())
        return asyncio.run(self._run_async(func))

    async def _run_async(self, func) -> Any:
        self._loop = asyncio.get_running_loop()
        self._async_task = asyncio.ensure_future(func(**self._kwargs()))
        if self.ctx._aborting.is_set():
            self._async_task.cancel()
        return await self._async_task

    def _cancel_async(self) -> None:
        loop, atask = self._loop, self._async_task
        if loop is not None and atask is not None and not loop.is_closed():
            loop.call_soon_threadsafe(atask.cancel)

    def _run_abort_handlers(self) -> None:
        self.outcome.handler_errors += self._run_handlers(self.ctx.abort_handlers, "abort")

    def _run_handlers(self, handlers, kind: str) -> list[str]:
        errors = []
        for handler in handlers:
            try:
                handler()
            except Exception as exc:
                name = getattr(handler, "__qualname__", repr(handler))
                errors.append(f"{kind} handler {name} failed: {type(exc).__name__}: {exc}")
                logger.exception("%s handler of task %s failed", kind, self.task.uuid)
        return errors

    def _finish(self) -> str:
        task = self.task
        dirty = self.ctx.take_dirty()  # the last progress is written with the final status
        current = task.status  # IN_PROGRESS unless an abort arrived; re-read only on a lost race
        while True:
            target, fields = self._decide(current)
            fields.update(dirty, ended_at=timezone.now(), dedup_key=None)
            if lifecycle.transition(task.pk, current=current, target=target, **fields):
                break
            task.refresh_from_db(fields=["status"])
            current = task.status
        task.status, task.is_abortable = target, self.ctx.is_abortable
        for name, value in fields.items():
            setattr(task, name, value)
        logger.info("Task %s ended %s", task.uuid, task.status, extra={"action": "finish"})
        signals.task_finished.send(sender=Task, task=task, status=task.status)
        return task.status

    def _decide(self, current: str) -> tuple[str, dict[str, Any]]:
        out, ctx = self.outcome, self.ctx
        fields: dict[str, Any] = {}
        error = out.error
        aborted_by_error = current == S.ABORTING and isinstance(
            error, TaskAborted | asyncio.CancelledError
        )
        if error is not None and not aborted_by_error and not out.hard_timeout:
            fields.update(_error_fields(error))
        if out.hard_timeout:
            fields["error_message"] = f"The task exceeded its timeout of {self.task.timeout} s."
            fields["error_type"] = "TimedOut"
        if out.handler_errors:
            message = "; ".join(out.handler_errors)
            fields["error_message"] = (fields.get("error_message", "") + "\n" + message).strip()
            fields.setdefault("error_type", "HandlerFailed")
        if error is None:
            fields["result"] = json_safe(out.result)
        if current == S.ABORTING:
            if ctx.timed_out or out.hard_timeout:
                return S.TIMED_OUT, fields
            if out.handler_errors:
                return S.FAILURE, fields
            if error is None and not ctx.abort_noticed:
                return S.SUCCESS, fields  # finished before it noticed the abort
            return S.ABORTED, fields
        if out.hard_timeout:
            return S.TIMED_OUT, fields
        if error is not None or out.handler_errors:
            return S.FAILURE, fields
        return S.SUCCESS, fields
