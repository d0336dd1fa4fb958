from __future__ import annotations

from tasks_app.conf import conf


class Executor:
    """Hands a submitted task to whatever runs it; the runner does the rest.

    ``enqueue`` is called inside the submit transaction, after the task row is written.
    """

    #: Whether a task can be enqueued again when no queue holds it (the reaper needs it).
    supports_requeue: bool = True

    def enqueue(self, task) -> None:
        raise NotImplementedError("An executor must implement enqueue(task).")


_cache: dict[str, Executor] = {}


def get_executor() -> Executor:
    """The executor named by ``GTF['EXECUTOR']`` (one instance per path)."""
    path = conf.EXECUTOR
    if path not in _cache:
        _cache[path] = conf.import_setting("EXECUTOR")()
    return _cache[path]
