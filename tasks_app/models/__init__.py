"""GTF's tables: tasks and subscribers (the domain), task types and schedules (operations),
the audit trail."""

from tasks_app.enums import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    OperatorActionKind,
    ScheduleKind,
    ScheduleOutcome,
    TaskScope,
    TaskStatus,
)
from tasks_app.models.audit import OperatorAction
from tasks_app.models.operations import ClusterNode, Schedule, TaskType
from tasks_app.models.tasks import Task, TaskAttempt, TaskQuerySet, TaskSubscriber

__all__ = [
    "ACTIVE_STATUSES",
    "ClusterNode",
    "OperatorAction",
    "OperatorActionKind",
    "TERMINAL_STATUSES",
    "Schedule",
    "ScheduleKind",
    "ScheduleOutcome",
    "Task",
    "TaskAttempt",
    "TaskQuerySet",
    "TaskScope",
    "TaskStatus",
    "TaskSubscriber",
    "TaskType",
]
