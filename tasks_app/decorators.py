"""``@task`` and ``register``: turn a function into a task type and give it ``submit``."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable
from typing import Any, Unpack, overload

from tasks_app.exceptions import InvalidInput, InvalidTaskDefinition
from tasks_app.registry import TaskDefinition, registry
from tasks_app.services import (
    SubmitItem,
    SubmitOptions,
    SubmitResult,
    task_submit,
    task_submit_many,
)

# What @task accepts: every field of a definition but the function and what it derives.
DEFINITION_OPTIONS = {f.name for f in dataclasses.fields(TaskDefinition)} - {"func", "signature"}
# Older names of options, still accepted.
ALIASES = {"max_retries": "retries"}


class TaskHandle:
    """What ``@task`` returns: the function, still callable, plus ``submit`` and ``submit_many``."""

    def __init__(self, definition: TaskDefinition):
        self.definition = definition
        self.__wrapped__ = definition.func
        self.__name__ = definition.func.__name__
        self.__doc__ = definition.func.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.definition.func(*args, **kwargs)

    def submit(
        self,
        *,
        user: Any,
        parameters: dict[str, Any] | None = None,
        **options: Unpack[SubmitOptions],
    ) -> SubmitResult:
        """Submit this task type; options stay apart from the task's own ``parameters``."""
        return task_submit(
            task_type=self.definition.name, user=user, parameters=parameters, **options
        )

    def item(
        self, parameters: dict[str, Any] | None = None, **options: Unpack[SubmitOptions]
    ) -> SubmitItem:
        """One task of this type for :meth:`submit_many`, with options of its own (a key)."""
        return SubmitItem(self.definition.name, parameters, SubmitOptions(**options))

    def submit_many(
        self, items: Iterable[dict[str, Any] | SubmitItem], *, user: Any
    ) -> list[SubmitResult]:
        """Submit many tasks of this type in a few statements (see ``task_submit_many``).

        Each item is the parameters of one task, or ``handle.item(parameters, task_key=...)``
        for a task with options of its own. One result per item, in order.
        """
        batch = []
        for index, entry in enumerate(items):
            if not isinstance(entry, SubmitItem):
                entry = SubmitItem(self.definition.name, entry)
            elif entry.task_type != self.definition.name:
                raise InvalidInput(
                    f"items[{index}]",
                    f"is a {entry.task_type!r} task; this handle submits {self.definition.name!r}.",
                )
            batch.append(entry)
        return task_submit_many(items=batch, user=user)


def register(func: Callable[..., Any], **options: Any) -> TaskHandle:
    """Register ``func`` as a task type (imperative form of :func:`task`); ``options`` are the
    fields of :class:`~tasks_app.registry.TaskDefinition`."""
    if not inspect.isroutine(func):
        # A django.tasks Task (Django 6) wraps its function in .func and is not callable.
        wrapped = getattr(func, "func", None)
        hint = f" To register the function it wraps, pass {wrapped!r}." if callable(wrapped) else ""
        raise InvalidTaskDefinition(f"{func!r} is not a function: it cannot be a task.{hint}")
    for old, new in ALIASES.items():
        if old in options:
            options[new] = options.pop(old)
    unknown = sorted(set(options) - DEFINITION_OPTIONS)
    if unknown:
        known = ", ".join(sorted(DEFINITION_OPTIONS))
        raise InvalidTaskDefinition(f"Unknown task option(s) {', '.join(unknown)}; known: {known}.")
    options.setdefault("name", func.__name__)
    options.setdefault("description", inspect.getdoc(func) or "")
    definition = TaskDefinition(func=func, **options)
    registry.register(definition)
    return TaskHandle(definition)


@overload
def task(func: Callable[..., Any], /) -> TaskHandle: ...


@overload
def task(func: None = None, /, **options: Any) -> Callable[[Callable[..., Any]], TaskHandle]: ...


def task(
    func: Callable[..., Any] | None = None, /, **options: Any
) -> TaskHandle | Callable[[Callable[..., Any]], TaskHandle]:
    """Register a function as a task type: ``@task`` or ``@task(name=..., scope=...)``.

    Options are the fields of :class:`~tasks_app.registry.TaskDefinition` (``name``, ``scope``,
    ``timeout``, ``description``, ``permission``, ``abortable``, ``retries``, ``retry_on``,
    ``backoff``).
    """

    def decorate(f: Callable[..., Any]) -> TaskHandle:
        return register(f, **{k: v for k, v in options.items() if v is not None})

    return decorate(func) if func is not None else decorate
