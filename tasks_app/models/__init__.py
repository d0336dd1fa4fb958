"""GTF's tables: tasks and subscribers (the domain), task types and schedules (operations)."""

from tasks_app.enums import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    ScheduleKind,
    ScheduleOutcome,
    TaskScope,
    TaskStatus,
)
from tasks_app.models.operations import Schedule, TaskType
from tasks_app.models.tasks import Task, TaskQuerySet, TaskSubscriber

__all__ = [
    "ACTIVE_STATUSES",
    "TERMINAL_STATUSES",
    "Schedule",
    "ScheduleKind",
    "ScheduleOutcome",
    "Task",
    "TaskQuerySet",
    "TaskScope",
    "TaskStatus",
    "TaskSubscriber",
    "TaskType",
]
