"""The one entry point a worker calls: run the task with this uuid, start to finish."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from tasks_app import availability, lifecycle
from tasks_app.conf import conf
from tasks_app.dispatch import get_executor
from tasks_app.exceptions import UnknownTaskType
from tasks_app.jsonvalues import clean_text, json_safe
from tasks_app.models import Task, TaskStatus
from tasks_app.registry import TaskDefinition, registry
from tasks_app.worker import retrying
from tasks_app.worker.context import Retry, TaskAborted, TaskContext
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


def run_task(task_uuid: str, task_type: str | None = None) -> str | None:
    """Run the pending task ``task_uuid``; return its status after this attempt, or None if it
    was not run.

    A task that is not PENDING (aborted meanwhile, or already taken by another delivery of the
    same message) is left alone, so a redelivered message never runs a task twice. Messages
    carry the task's type, so a type this worker may not run is refused before it starts.
    """
    name = task_type or _type_of(task_uuid)
    if name is None:
        logger.info("Task %s not run: missing", task_uuid)
        return None
    definition = _definition(task_uuid, name)
    if definition is None:
        return _refuse(
            task_uuid, f"Task type {name!r} is not registered in this worker.", "UnknownTaskType"
        )
    task = _start(task_uuid)
    if task is None:
        # Not started: no longer pending, or its type is disabled (the start read the switch).
        reason = retrying.call(lambda: availability.start_refusal(name), what="type check")
        if reason:
            return _refuse(task_uuid, reason, "TaskRefused")
        task = _start(task_uuid)  # re-enabled between the two reads
    if task is None:
        logger.info("Task %s not run: no longer pending", task_uuid)
        return None
    return Execution(task, definition).run()


def _start(task_uuid: str) -> Task | None:
    return retrying.call(
        lambda: lifecycle.start(task_uuid=task_uuid, worker_id=worker_id()), what="start"
    )


def _definition(task_uuid: str, name: str) -> TaskDefinition | None:
    """The registered type, or the one the module recorded on the task registers when imported
    (a Django tasks API function outside the modules GTF discovers)."""
    try:
        return registry.get(name)
    except UnknownTaskType:
        module = Task.objects.filter(uuid=task_uuid).values_list("task_module", flat=True).first()
        return registry.import_recorded(name, module or "")


def _type_of(task_uuid: str) -> str | None:
    """The type of a task, for a message that does not carry it (sent by an older version)."""
    return Task.objects.filter(uuid=task_uuid).values_list("task_type", flat=True).first()


def _refuse(task_uuid: str, message: str, error_type: str) -> str | None:
    task = Task.objects.filter(uuid=task_uuid, status=S.PENDING).first()
    if task is not None and lifecycle.refuse(task, message=message, error_type=error_type):
        return S.FAILURE
    return None


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
        except get_executor().hard_timeout_errors as exc:
            # The executor stops a task past its hard timeout by raising inside it.
            self.outcome.error = exc
            self.outcome.hard_timeout = True
        except (Exception, asyncio.CancelledError, SystemExit) as exc:
            self.outcome.error = exc  # sys.exit() in a task is its failure, not the worker's
        finally:
            watcher.unwatch(watch)
            self.ctx.deactivate(token)
            self.ctx.close()
        handlers = watch.close()
        if handlers is not None:
            handlers.join(timeout=conf.HARD_TIMEOUT_GRACE)
        self.outcome.handler_errors += self._run_handlers(self.ctx.cleanup_handlers, "cleanup")
        status = self._finish()
        if self.outcome.hard_timeout and self.outcome.error is not None:
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
        dirty = self.ctx.take_dirty()  # the last progress is written with the final status
        now = timezone.now()

        def decide(current: str) -> lifecycle.Decision:
            decision = self._decide(current, now)
            decision.fields.update(dirty)
            return decision

        # The final write waits out a database outage: the outcome must not be lost.
        status = retrying.call(lambda: lifecycle.finish(self.task, decide), what="finish")
        self.task.is_abortable = self.ctx.is_abortable
        logger.info("Task %s ended %s", self.task.uuid, status, extra={"action": "finish"})
        return status or S.FAILURE

    def _decide(self, current: str, now: datetime) -> lifecycle.Decision:
        out, ctx = self.outcome, self.ctx
        fields: dict[str, Any] = {
            "ended_at": now,
            "error_message": "",
            "error_type": "",
            "error_traceback": "",
        }
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
            fields["error_message"] = (fields["error_message"] + "\n" + message).strip()
            fields["error_type"] = fields["error_type"] or "HandlerFailed"
        if error is None:
            fields["result"] = json_safe(out.result)
        if current == S.ABORTING:
            if ctx.timed_out or out.hard_timeout:
                return lifecycle.Decision(S.TIMED_OUT, fields)
            if out.handler_errors:
                return lifecycle.Decision(S.FAILURE, fields)
            if error is None and not ctx.abort_noticed:
                return lifecycle.Decision(S.SUCCESS, fields)  # finished before it noticed
            return lifecycle.Decision(S.ABORTED, fields)
        if out.hard_timeout:
            return lifecycle.Decision(S.TIMED_OUT, fields)
        if error is not None and not out.handler_errors and self._may_retry(error):
            del fields["ended_at"]
            after = error.after if isinstance(error, Retry) else None
            if after is None:
                after = self.definition.backoff.delay(self.task.attempt)
            return lifecycle.Decision(S.PENDING, fields, now + timedelta(seconds=after))
        if error is not None or out.handler_errors:
            return lifecycle.Decision(S.FAILURE, fields)
        return lifecycle.Decision(S.SUCCESS, fields)

    def _may_retry(self, error: BaseException) -> bool:
        """Another attempt, if the budget allows and the error earns one (never an abort, a
        timeout, or a type disabled meanwhile)."""
        if self.task.attempt > self.definition.retries:
            return False
        if not (isinstance(error, Retry) or self.definition.retries_on(error)):
            return False
        if isinstance(error, TaskAborted | asyncio.CancelledError | SystemExit):
            return False
        return not availability.is_disabled(self.definition.name)
