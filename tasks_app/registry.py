"""Registry of task types: Python functions (sync or async) registered by name."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks_app import params
from tasks_app.exceptions import DuplicateTaskType, InvalidTaskDefinition, UnknownTaskType

SCOPES = ("private", "shared", "system")


@dataclass(frozen=True, kw_only=True)
class TaskDefinition:
    """A registered task type."""

    name: str
    """Unique name users submit."""
    func: Callable[..., Any]
    """The function the runner calls."""
    scope: str = "private"
    """Scope used when the submitter names none."""
    timeout: int | None = None
    """Seconds before the task is timed out (None: ``DEFAULT_TIMEOUT``)."""
    description: str = ""
    """Shown by the task-types API and admin (default: the function's docstring)."""
    permission: str | None = None
    """Django permission (``app_label.codename``) required to submit, besides the scope rules."""
    max_retries: int = 0
    """How often the reaper may requeue a task whose worker was lost."""
    signature: params.Signature = field(default=None)  # type: ignore[assignment]
    """Parameters read from the function's signature."""

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 200:
            raise InvalidTaskDefinition("A task name must have 1 to 200 characters.")
        if self.scope not in SCOPES:
            raise InvalidTaskDefinition(f"Scope {self.scope!r} is not one of {SCOPES}.")
        if self.timeout is not None and self.timeout <= 0:
            raise InvalidTaskDefinition("A task timeout must be a positive number of seconds.")
        if self.signature is None:
            object.__setattr__(self, "signature", params.read_signature(self.func))

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def origin(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


class TaskRegistry:
    """Thread-safe name -> :class:`TaskDefinition` map; a batch registers whole or not at all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._definitions: dict[str, TaskDefinition] = {}

    def register(self, *definitions: TaskDefinition) -> None:
        with self._lock:
            names = [d.name for d in definitions]
            if len(set(names)) != len(names):
                raise DuplicateTaskType(f"Task names repeat within one registration: {names}.")
            for d in definitions:
                existing = self._definitions.get(d.name)
                # The same function imported again (module reload) is not a conflict.
                if existing is not None and existing.origin != d.origin:
                    raise DuplicateTaskType(
                        f"Task type {d.name!r} is already registered by {existing.origin}."
                    )
            for d in definitions:
                self._definitions[d.name] = d

    def unregister(self, name: str) -> None:
        with self._lock:
            self._definitions.pop(name, None)

    def get(self, name: str) -> TaskDefinition:
        try:
            return self._definitions[name]
        except KeyError:
            raise UnknownTaskType(f"Unknown task type {name!r}.") from None

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def __iter__(self):
        return iter(sorted(self._definitions.values(), key=lambda d: d.name))

    def names(self) -> list[str]:
        return sorted(self._definitions)


registry = TaskRegistry()


class TaskHandle:
    """What ``@task`` returns: the function, still callable, plus ``submit``."""

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
        task_key: str | None = None,
        scope: str | None = None,
        task_name: str | None = None,
        timeout: int | None = None,
    ):
        """Submit this task type; options stay apart from the task's own ``parameters``."""
        from tasks_app.services import task_submit

        return task_submit(
            task_type=self.definition.name,
            user=user,
            parameters=parameters,
            task_key=task_key,
            scope=scope,
            task_name=task_name,
            timeout=timeout,
        )


def register(func: Callable[..., Any], **options: Any) -> TaskHandle:
    """Register ``func`` as a task type (imperative form of :func:`task`)."""
    options.setdefault("name", func.__name__)
    options.setdefault("description", inspect.getdoc(func) or "")
    definition = TaskDefinition(func=func, **options)
    registry.register(definition)
    return TaskHandle(definition)


def task(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    scope: str = "private",
    timeout: int | None = None,
    description: str | None = None,
    permission: str | None = None,
    max_retries: int = 0,
):
    """Register a function as a task type: ``@task`` or ``@task(name=..., scope=...)``."""

    def decorate(f: Callable[..., Any]) -> TaskHandle:
        options: dict[str, Any] = {
            "scope": scope,
            "timeout": timeout,
            "permission": permission,
            "max_retries": max_retries,
        }
        if name is not None:
            options["name"] = name
        if description is not None:
            options["description"] = description
        return register(f, **options)

    return decorate(func) if func is not None else decorate


def autodiscover(module_name: str = "tasks") -> None:
    """Import ``<app>.<module_name>`` of every installed app that has one."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules(module_name)
