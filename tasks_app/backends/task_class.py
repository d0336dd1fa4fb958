"""``GTFTask``: Django's ``Task`` plus what GTF needs to know about its type and about one
submit; and ``task``, Django's decorator that also takes GTF's options on every Django version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from django.utils.module_loading import import_string

from tasks_app.backends.compat import (
    DEFAULT_TASK_BACKEND_ALIAS,
    DEFAULT_TASK_PRIORITY,
    DEFAULT_TASK_QUEUE_NAME,
    Task,
    task_backends,
)
from tasks_app.registry import Backoff


@dataclass(frozen=True, slots=True, kw_only=True)
class GTFTask(Task):
    """A task of Django's tasks API that GTF runs.

    The first group of fields defines its GTF task type (given to the decorator: ``@task(
    retries=3)``); the second says how one call is submitted (given to ``using()``: ``task.using(
    task_key="invoice-42").enqueue(...)``) and is not part of the task's identity (``==``).
    ``None`` means: the backend's ``OPTIONS``, else GTF's default.
    """

    type_name: str | None = None
    """Name of the GTF task type (default: the function's module path)."""
    timeout: int | None = None
    """Seconds before the task is timed out."""
    retries: int | None = None
    """Further attempts after a failed one (an exception in ``retry_on``, a ``ctx.retry()``,
    a lost worker)."""
    retry_on: tuple[type[BaseException], ...] | None = None
    """Exceptions that earn another attempt (default: any ``Exception``)."""
    backoff: float | Backoff | None = None
    """Wait before each retry: seconds, or a ``tasks_app.Backoff`` (exponential with jitter)."""
    abortable: bool = False
    """A running task can be aborted (it checks ``tasks_app.get_context().is_aborting``)."""
    permission: str | None = None
    """Django permission a user needs to submit the type (REST API, ``using(user=...)``)."""

    task_key: str | None = field(default=None, compare=False)
    """Dedup key: while a task of this type holds it (in its scope), enqueue returns that task.
    ``{name}`` parts are filled from the call's arguments."""
    task_name: str | None = field(default=None, compare=False)
    """A label shown with the task."""
    scope: str | None = field(default=None, compare=False)
    """``private``, ``shared`` or ``system`` (default: ``private`` with a user, else the
    backend's ``SCOPE`` option, else ``system``)."""
    user: Any = field(default=None, compare=False)
    """The user the task is submitted for: they see it, and GTF's submit rules apply to them."""

    def using(
        self,
        *,
        priority: int | None = None,
        queue_name: str | None = None,
        run_after: datetime | None = None,
        backend: str | None = None,
        task_key: str | None = None,
        task_name: str | None = None,
        scope: str | None = None,
        user: Any = None,
    ) -> GTFTask:
        """A copy with these fields changed (``None``: unchanged), as Django's ``using()``."""
        changes = {
            "priority": priority,
            "queue_name": queue_name,
            "run_after": run_after,
            "backend": backend,
            "task_key": task_key,
            "task_name": task_name,
            "scope": scope,
            "user": user,
        }
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    # Pickled by reference to the decorated function's module path (on every Django version:
    # the backport's Task has no such support; the function's own name now names the task).
    def __reduce__(self) -> tuple[Any, ...]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["func"] = self.module_path
        return (_unpickle, (type(self), values))


def _unpickle(cls: type[GTFTask], values: dict[str, Any]) -> GTFTask:
    path = values["func"]
    try:
        values["func"] = import_string(path).func
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"Expected {path!r} to point to a Task instance.") from exc
    return cls(**values)


def task(
    function: Callable[..., Any] | None = None,
    *,
    priority: int = DEFAULT_TASK_PRIORITY,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: bool = False,
    **options: Any,
) -> Any:
    """Django's ``@task``, passing GTF's options (the fields of :class:`GTFTask`) to the
    backend's task class. Django 6.1+ and the backport's own decorator do that too; Django 6.0's
    does not, so use this one there."""

    def wrap(func: Callable[..., Any]) -> Task:
        return task_backends[backend].task_class(
            func=func,
            priority=priority,
            queue_name=queue_name,
            backend=backend,
            run_after=None,
            takes_context=takes_context,
            **options,
        )

    return wrap(function) if function is not None else wrap
