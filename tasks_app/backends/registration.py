"""Django tasks as GTF task types: each function enqueued through ``GTFBackend`` is registered
in GTF's registry (so workers, the API, the admin and schedules know it), with a runner that
calls it the way Django's API says.

The type's parameters are ``{"args": [...], "kwargs": {...}}``, exactly the call's arguments
(Django keeps positional and keyword arguments apart); a submit checks them against the
function's signature, so a wrong call fails at enqueue (or as a 400 from the API), not in the
worker.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections, router

from tasks_app import params
from tasks_app.backends import results
from tasks_app.backends.compat import Task, TaskContext, normalize_json
from tasks_app.backends.task_class import GTFTask
from tasks_app.exceptions import ParameterError
from tasks_app.models import Task as TaskRow
from tasks_app.registry import Backoff, TaskDefinition, registry
from tasks_app.selectors import task_attempts
from tasks_app.worker.context import TaskContext as GTFContext

# The runner's own parameter that receives GTF's context (never submitted).
CONTEXT_PARAMETER = "gtf_context"


@dataclass(frozen=True)
class TypeDefaults:
    """What the backend's ``OPTIONS`` say for types that name nothing themselves."""

    scope: str | None = None
    retries: int | None = None
    backoff: float | Backoff | None = None
    timeout: int | None = None


class DjangoTaskIndex:
    """GTF type name -> the Django task registered under it (for ``get_result`` and signals)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}

    def get(self, name: str) -> Task | None:
        return self._tasks.get(name)

    def put(self, name: str, task: Task) -> None:
        with self._lock:
            self._tasks[name] = task

    def forget(self, name: str) -> None:
        with self._lock:
            self._tasks.pop(name, None)


index = DjangoTaskIndex()


def type_name(task: Task) -> str:
    if isinstance(task, GTFTask) and task.type_name:
        return task.type_name
    return task.module_path


def _definition_options(task: Task) -> tuple[Any, ...]:
    if not isinstance(task, GTFTask):
        return ()
    return (
        task.timeout,
        task.retries,
        task.retry_on,
        task.backoff,
        task.abortable,
        task.permission,
    )


def ensure_registered(task: Task, defaults: TypeDefaults) -> str:
    """Register ``task``'s function as a GTF type unless it is already; return the type name.
    Raises :class:`~tasks_app.exceptions.GTFError` if GTF cannot take it."""
    name = type_name(task)
    known = index.get(name)
    if (
        known is not None
        and known.func is task.func
        and _definition_options(known) == _definition_options(task)
        and name in registry
    ):
        return name
    registry.register(_definition(name, task, defaults))
    index.put(name, task)
    return name


def _definition(name: str, task: Task, defaults: TypeDefaults) -> TaskDefinition:
    gtf = task if isinstance(task, GTFTask) else None
    options: dict[str, Any] = {
        "name": name,
        "func": _runner(task),
        "scope": (gtf and gtf.scope) or defaults.scope or "private",
        "description": inspect.getdoc(task.func) or "",
        "signature": signature_of(task),
        # Django's tasks may live in any module: a worker imports it to find the type.
        "task_module": task.func.__module__,
    }
    retries = gtf.retries if gtf and gtf.retries is not None else defaults.retries
    backoff = gtf.backoff if gtf and gtf.backoff is not None else defaults.backoff
    timeout = (gtf and gtf.timeout) or defaults.timeout
    for key, value in (("retries", retries), ("backoff", backoff), ("timeout", timeout)):
        if value is not None:
            options[key] = value
    if gtf is not None:
        if gtf.retry_on is not None:
            options["retry_on"] = gtf.retry_on
        options["abortable"] = gtf.abortable
        options["permission"] = gtf.permission
    return TaskDefinition(**options)


def call_signature(task: Task) -> inspect.Signature:
    """The signature a call's arguments must fit (without Django's ``context``)."""
    signature = inspect.signature(task.func)
    if task.takes_context:
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    return signature


def signature_of(task: Task) -> params.Signature:
    target = call_signature(task)

    def check(parameters: dict[str, Any]) -> None:
        try:
            target.bind(*parameters["args"], **parameters["kwargs"])
        except TypeError as exc:
            raise ParameterError({"parameters": f"do not fit {task.name}(): {exc}"}) from None

    return params.Signature(
        params=(
            params.ParamSpec("args", params.JsonType(frozenset({"array"})), default=[]),
            params.ParamSpec("kwargs", params.JsonType(frozenset({"object"})), default={}),
        ),
        injected={CONTEXT_PARAMETER: ""},
        check=check,
    )


def _runner(task: Task) -> Callable[..., Any]:
    """The function GTF's runner calls: Django's calling convention, JSON return values."""
    func = task.func
    run: Callable[..., Any]
    if inspect.iscoroutinefunction(func):

        async def run_async(
            gtf_context: GTFContext, args: list[Any], kwargs: dict[str, Any]
        ) -> Any:
            if task.takes_context:
                context = await sync_to_async(_django_context_off_loop, thread_sensitive=False)(
                    task, gtf_context
                )
                args = [context, *args]
            return normalize_json(await func(*args, **kwargs))

        run = run_async
    else:

        def run_sync(gtf_context: GTFContext, args: list[Any], kwargs: dict[str, Any]) -> Any:
            if task.takes_context:
                args = [_django_context(task, gtf_context), *args]
            return normalize_json(func(*args, **kwargs))

        run = run_sync

    # The type's origin is the user's function, not this module.
    run.__module__ = func.__module__
    run.__qualname__ = func.__qualname__
    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def _django_context(task: Task, gtf_context: GTFContext) -> TaskContext:
    """Django's context of the running task: its result as ``get_result`` would read it now."""
    row = TaskRow.objects.get(pk=gtf_context.task_id)
    attempts = task_attempts(task=row)
    return TaskContext(
        task_result=results.build(row=row, task=task, attempts=attempts, backend=task.backend)
    )


def _django_context_off_loop(task: Task, gtf_context: GTFContext) -> TaskContext:
    """:func:`_django_context` for an async task, on a pool thread that then closes its
    connection (nothing else would)."""
    try:
        return _django_context(task, gtf_context)
    finally:
        connections[router.db_for_read(TaskRow)].close()
