from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks_app.conf import conf


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


class Executor:
    """Hands a submitted task to whatever runs it; the runner does the rest.

    ``enqueue`` is called inside the submit transaction, after the task row is written.
    """

    #: Whether the executor has a scheduler that can run :class:`Periodic` jobs.
    supports_periodic: bool = False
    #: Whether :meth:`queued_task_uuids` can list what the queue holds (for the reaper).
    supports_queue_inspection: bool = False

    def enqueue(self, task) -> None:
        raise NotImplementedError("An executor must implement enqueue(task).")

    def install_periodic(self, jobs: list[Periodic]) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no scheduler for periodic jobs.")

    def queued_task_uuids(self) -> set[str]:
        raise NotImplementedError(f"{type(self).__name__} cannot list what its queue holds.")


_cache: dict[str, Executor] = {}


def get_executor() -> Executor:
    """The executor named by ``GTF['EXECUTOR']`` (one instance per path)."""
    path = conf.EXECUTOR
    if path not in _cache:
        _cache[path] = conf.import_setting("EXECUTOR")()
    return _cache[path]
