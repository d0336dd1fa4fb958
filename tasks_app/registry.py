"""Registry of task types: Python functions (sync or async) registered by name.

The ``@task`` decorator that fills it lives in :mod:`tasks_app.decorators`.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import autodiscover_modules

from tasks_app import params
from tasks_app.enums import TaskScope
from tasks_app.exceptions import DuplicateTaskType, InvalidTaskDefinition, UnknownTaskType

logger = logging.getLogger("tasks_app.registry")


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """How long to wait before retry ``n`` (1, 2, …): ``base * factor ** (n - 1)`` seconds, at
    most ``cap``; with ``jitter``, a random time between half of that and all of it."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if not (self.base >= 0 and self.factor >= 1 and self.cap >= 0):
            raise InvalidTaskDefinition("Backoff needs base >= 0, factor >= 1 and cap >= 0.")

    def delay(self, retry: int) -> float:
        seconds = min(self.cap, self.base * self.factor ** max(retry - 1, 0))
        return random.uniform(seconds / 2, seconds) if self.jitter else seconds


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
    retries: int = 0
    """Further attempts after the first: for an exception in ``retry_on``, a ``ctx.retry()``,
    or a lost worker. Aborts, timeouts and disabled types are never retried."""
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    """Exceptions that earn another attempt (while ``retries`` last)."""
    backoff: Backoff = field(default_factory=lambda: Backoff())
    """Wait before each retry: exponential with jitter by default."""
    abortable: bool = False
    """A running task of this type can be aborted (it checks for aborts or has abort handlers).
    Registering an abort handler at run time makes that one task abortable too."""
    signature: params.Signature = field(default=None)  # type: ignore[assignment]
    """Parameters read from the function's signature."""
    task_module: str = ""
    """Module that registers this type when imported, recorded on each task submitted: a worker
    that does not know the type imports it (types of Django's tasks API, which are registered
    by their module's import rather than found by discovery). Empty: discovery only."""

    def __post_init__(self) -> None:
        if isinstance(self.backoff, int | float) and not isinstance(self.backoff, bool):
            fixed = Backoff(base=float(self.backoff), factor=1.0, jitter=False)
            object.__setattr__(self, "backoff", fixed)
        if not isinstance(self.backoff, Backoff):
            raise InvalidTaskDefinition("backoff must be seconds or a Backoff.")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise InvalidTaskDefinition("retries must be a whole number, 0 or more.")
        if isinstance(self.retry_on, type):
            object.__setattr__(self, "retry_on", (self.retry_on,))
        if not all(isinstance(c, type) and issubclass(c, BaseException) for c in self.retry_on):
            raise InvalidTaskDefinition("retry_on must be exception classes.")
        if not self.name or len(self.name) > 200:
            raise InvalidTaskDefinition("A task name must have 1 to 200 characters.")
        if self.scope not in TaskScope.values:
            raise InvalidTaskDefinition(f"Scope {self.scope!r} is not one of {TaskScope.values}.")
        if self.timeout is not None and self.timeout <= 0:
            raise InvalidTaskDefinition("A task timeout must be a positive number of seconds.")
        if self.signature is None:
            object.__setattr__(self, "signature", params.read_signature(self.func))

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def max_retries(self) -> int:
        """The former name of :attr:`retries`."""
        return self.retries

    def retries_on(self, error: BaseException) -> bool:
        return isinstance(error, self.retry_on)

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

    def import_recorded(self, name: str, module: str) -> TaskDefinition | None:
        """Import ``module``, the one recorded on a task of the unregistered type ``name``, and
        return the type if that registered it (None: still unknown, or the import failed)."""
        if not module:
            return None
        try:
            importlib.import_module(module)
        except Exception:
            logger.exception("Importing %s for task type %r failed", module, name)
            return None
        with self._lock:
            found = self._definitions.get(name)
        # Only a type that says this module registers it: an import never makes up a type.
        return found if found is not None and found.task_module == module else None

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def __iter__(self) -> Iterator[TaskDefinition]:
        return iter(sorted(self._definitions.values(), key=lambda d: d.name))

    def names(self) -> list[str]:
        return sorted(self._definitions)


registry = TaskRegistry()


def autodiscover(module_name: str | None = "tasks") -> None:
    """Import ``<app>.<module_name>`` of every installed app that has one (None: nothing)."""
    if module_name:
        autodiscover_modules(module_name)
