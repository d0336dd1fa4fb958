"""GTF: one framework for long-running work in Django."""

from tasks_app.context import TaskAborted, TaskContext, get_context
from tasks_app.registry import register, task

__all__ = ["TaskAborted", "TaskContext", "get_context", "register", "task"]
