"""A GTF task row read as Django's ``TaskResult``: the status mapping, errors per attempt.

| GTF status | Django status |
|---|---|
| PENDING (new, deferred, or waiting for a retry) | READY |
| IN_PROGRESS, ABORTING | RUNNING |
| SUCCESS | SUCCESSFUL |
| FAILURE, ABORTED, TIMED_OUT | FAILED |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tasks_app.backends.compat import Task, TaskError, TaskResult, TaskResultStatus
from tasks_app.enums import TERMINAL_STATUSES, TaskStatus
from tasks_app.models import Task as TaskRow
from tasks_app.selectors import AttemptView

S = TaskStatus
STATUS: dict[str, TaskResultStatus] = {
    S.PENDING: TaskResultStatus.READY,
    S.IN_PROGRESS: TaskResultStatus.RUNNING,
    S.ABORTING: TaskResultStatus.RUNNING,
    S.SUCCESS: TaskResultStatus.SUCCESSFUL,
    S.FAILURE: TaskResultStatus.FAILED,
    S.ABORTED: TaskResultStatus.FAILED,
    S.TIMED_OUT: TaskResultStatus.FAILED,
}
FAILED = frozenset({S.FAILURE, S.ABORTED, S.TIMED_OUT})
# Error types GTF records itself, as the exception classes Django's TaskError can import.
RECORDED_ERRORS = {
    "TimedOut": "builtins.TimeoutError",
    "WorkerLost": "tasks_app.exceptions.WorkerLost",
    "HandlerFailed": "tasks_app.exceptions.HandlerFailed",
    "TaskRefused": "tasks_app.exceptions.TaskTypeDisabled",
    "UnknownTaskType": "tasks_app.exceptions.UnknownTaskType",
}
# An attempt that ended so without an error of its own (aborted, or timed out while aborting).
ENDED_WITHOUT_ERROR: dict[str, tuple[str, str]] = {
    S.ABORTED: ("tasks_app.worker.context.TaskAborted", "The task was aborted."),
    S.TIMED_OUT: ("builtins.TimeoutError", "The task exceeded its timeout."),
    S.FAILURE: ("builtins.Exception", "The task failed."),
}


def task_error(status: str, error_type: str, message: str, traceback: str) -> TaskError:
    """Django's error of an attempt that ended ``status`` with these error columns."""
    if error_type:
        path = RECORDED_ERRORS.get(error_type, error_type)
    else:
        path, default = ENDED_WITHOUT_ERROR[status]
        message = message or default
    if not traceback:
        # Nothing was raised in the task's code (a lost worker, a refusal, an abort).
        traceback = f"{path.rsplit('.', 1)[-1]}: {message}\n"
    return TaskError(exception_class_path=path, traceback=traceback)


def errors(row: TaskRow, attempts: Sequence[AttemptView]) -> list[TaskError]:
    """One error per failed attempt, oldest first; and the reason a task ended without an attempt
    of its own (refused before it started, aborted while it waited for a retry)."""
    out = [
        task_error(a.status, a.error_type, a.error_message, a.error_traceback)
        for a in attempts
        if a.status in FAILED
    ]
    if row.status in FAILED and not (attempts and attempts[-1].is_current):
        if row.status == S.ABORTED:
            out.append(task_error(S.ABORTED, "", "", ""))
        else:  # the row's traceback, if any, is an earlier attempt's
            out.append(task_error(row.status, row.error_type, row.error_message, ""))
    return out


def build(*, row: TaskRow, task: Task, attempts: Sequence[AttemptView], backend: str) -> TaskResult:
    """``row`` as Django's ``TaskResult`` of ``task``; ``attempts`` as from
    :func:`tasks_app.selectors.task_attempts`."""
    parameters: dict[str, Any] = row.parameters or {}
    result: TaskResult = TaskResult(
        task=task,
        id=str(row.uuid),
        status=STATUS[row.status],
        enqueued_at=row.created_at,
        started_at=attempts[0].started_at if attempts else None,
        finished_at=row.ended_at if row.status in TERMINAL_STATUSES else None,
        last_attempted_at=attempts[-1].started_at if attempts else None,
        args=parameters.get("args", []),
        kwargs=parameters.get("kwargs", {}),
        backend=backend,
        errors=errors(row, attempts),
        worker_ids=[a.worker_id for a in attempts],
    )
    if row.status == S.SUCCESS:
        object.__setattr__(result, "_return_value", row.result)
    return result
