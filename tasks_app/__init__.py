"""GTF: one framework for long-running work in Django.

The public names below are imported on first use, so importing ``tasks_app`` (as Django does
while it loads apps) loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks_app.decorators import TaskHandle, register, task
    from tasks_app.registry import Backoff
    from tasks_app.worker.context import Retry, TaskAborted, TaskContext, get_context

_PUBLIC = {
    "task": "tasks_app.decorators",
    "Backoff": "tasks_app.registry",
    "register": "tasks_app.decorators",
    "TaskHandle": "tasks_app.decorators",
    "TaskContext": "tasks_app.worker.context",
    "TaskAborted": "tasks_app.worker.context",
    "Retry": "tasks_app.worker.context",
    "get_context": "tasks_app.worker.context",
}
__all__ = [
    "Backoff",
    "Retry",
    "TaskAborted",
    "TaskContext",
    "TaskHandle",
    "get_context",
    "register",
    "task",
]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'tasks_app' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
