"""How submitted tasks reach what runs them: the executor interface and its choice.

Implementations live in :mod:`tasks_app.worker.executors`; ``GTF["EXECUTOR"]`` names one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.checks import CheckMessage

from tasks_app.conf import conf, import_setting

if TYPE_CHECKING:
    from tasks_app.models import Task


@dataclass(frozen=True, kw_only=True)
class Periodic:
    """A maintenance job the executor's own scheduler runs (reaper, pruning, cleanup)."""

    name: str
    """Unique name of the schedule (``gtf.<job>``)."""
    func: str
    """Dotted path of a function taking no arguments."""
    minutes: int
    """Interval between runs."""
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Timetable:
    """When the executor's scheduler should call ``func`` for one user schedule."""

    name: str
    """Unique name of the executor's schedule (``gtf.schedule.<id>``)."""
    func: str
    """Dotted path of the function to call with ``kwargs``."""
    kwargs: dict[str, Any]
    next_run: datetime
    """The next firing (UTC)."""
    kind: str
    """``once``, ``interval`` or ``cron``."""
    seconds: int | None = None
    """Interval in seconds (kind ``interval``)."""
    cron: str = ""
    """Cron expression (kind ``cron``)."""


class Executor:
    """Hands submitted tasks to whatever runs them; the runner does the rest.

    ``enqueue_many`` is called once the task rows are written, inside the submit transaction
    when there is one; an executor that sends messages does so after commit.
    """

    #: Whether the executor has a scheduler that can run :class:`Periodic` jobs.
    supports_periodic: bool = False
    #: Whether the executor's scheduler can fire user schedules (:class:`Timetable`).
    supports_schedules: bool = False
    #: Whether :meth:`queued_task_uuids` can list what the queue holds (for the reaper).
    supports_queue_inspection: bool = False
    #: What the executor raises inside a task it stops at its hard timeout.
    hard_timeout_errors: tuple[type[BaseException], ...] = ()

    @property
    def pushes_messages(self) -> bool:
        """Whether tasks reach workers as messages pushed to a broker (which can lose them), so
        the reaper must push again what the queue lost; False when the task rows are the queue."""
        return False

    def enqueue(self, task: Task) -> None:
        """Hand one submitted task over."""
        self.enqueue_many([task])

    def enqueue_many(self, tasks: list[Task]) -> None:
        raise NotImplementedError("An executor must implement enqueue_many(tasks).")

    def push(self, tasks: list[Task]) -> None:
        """Send these tasks' messages now (the reaper, for messages the broker lost)."""
        raise NotImplementedError(f"{type(self).__name__} does not push messages.")

    def check(self) -> list[CheckMessage]:
        """System check messages about this executor's configuration (``manage.py check``)."""
        return []

    def install_periodic(self, jobs: list[Periodic]) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no scheduler for periodic jobs.")

    def install_schedule(self, timetable: Timetable) -> None:
        """Create or replace the schedule named ``timetable.name``."""
        raise NotImplementedError(f"{type(self).__name__} has no scheduler for user schedules.")

    def remove_schedule(self, name: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no scheduler for user schedules.")

    def schedule_names(self, prefix: str) -> set[str]:
        """Names of the scheduler's schedules that start with ``prefix``."""
        raise NotImplementedError(f"{type(self).__name__} has no scheduler for user schedules.")

    def queued_task_uuids(self) -> set[str]:
        raise NotImplementedError(f"{type(self).__name__} cannot list what its queue holds.")


_cache: dict[str, Executor] = {}


def get_executor() -> Executor:
    """The executor named by ``GTF['EXECUTOR']`` (one instance per path)."""
    path = conf.EXECUTOR
    if path not in _cache:
        _cache[path] = import_setting("EXECUTOR")()
    return _cache[path]
