"""Errors raised by GTF services.

Each error declares its ``kind`` (what went wrong, in domain terms) and, when an input field is
to blame, its ``field``; the faces turn kinds into answers (``tasks_app.api.errors`` maps them to
HTTP statuses).
"""

from __future__ import annotations

import re
from typing import Any

INVALID = "invalid"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
CONFLICT = "conflict"
PRECONDITION_FAILED = "precondition_failed"
UNAVAILABLE = "unavailable"


class GTFError(Exception):
    """Base of every GTF error."""

    default_message = "GTF error."
    kind: str = INVALID
    """What went wrong: one of the kinds above."""
    field: str | None = None
    """The input field at fault, if one is."""

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)

    @property
    def code(self) -> str:
        """Machine-readable name of the error: the class name in snake case."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def details(self) -> dict[str, Any]:
        """Extra facts an answer carries besides the message (e.g. a current version)."""
        return {}


class TaskNotFound(GTFError):
    """The task does not exist or the caller may not see it (HTTP 404)."""

    kind = NOT_FOUND
    default_message = "Task not found."


class UnknownTaskType(GTFError):
    """No registered function has this name (HTTP 400)."""

    field = "task_type"


class TaskTypeDisabled(GTFError):
    """An operator disabled the type (HTTP 409)."""

    kind = CONFLICT


class DuplicateTaskType(GTFError):
    """A second registration under a name already taken."""


class InvalidTaskDefinition(GTFError):
    """A function cannot be registered as a task as written."""


class ParameterError(GTFError):
    """Submitted parameters do not fit the function's signature (HTTP 400)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.errors.items()))


class InvalidInput(GTFError):
    """A submit option (key, name, scope, timeout) is malformed (HTTP 400)."""

    field: str

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class SubmitForbidden(GTFError):
    """The caller may not submit this type or scope (HTTP 403)."""

    kind = FORBIDDEN


class AbortForbidden(GTFError):
    """The caller sees the task but may not abort it this way (HTTP 403)."""

    kind = FORBIDDEN


class TaskNotAbortable(GTFError):
    """The task is running and registered no abort handler (HTTP 409)."""

    kind = CONFLICT
    default_message = "The task is running and cannot be aborted: it registered no abort handler."


class TaskAlreadyFinished(GTFError):
    """The task reached a terminal status already (HTTP 409)."""

    kind = CONFLICT
    default_message = "The task has already finished."


class TaskNotFinished(GTFError):
    """The task is still active; only a finished task can be rerun (HTTP 409)."""

    kind = CONFLICT
    default_message = "The task is still active; abort it or wait for it to finish."


class WorkerLost(GTFError):
    """The worker running a task was lost (error type ``WorkerLost``, recorded by the reaper)."""

    default_message = "The worker running this task was lost."


class HandlerFailed(GTFError):
    """An abort or cleanup handler of a task failed (error type ``HandlerFailed``)."""

    default_message = "A handler of this task failed."


class InvalidTransition(GTFError):
    """The lifecycle table does not allow this status change."""

    kind = CONFLICT

    def __init__(self, current: str, target: str):
        self.current, self.target = current, target
        super().__init__(f"Illegal task status transition {current} -> {target}.")


class LastSubscriber(GTFError):
    """Leaving would leave an active shared task with no subscriber (HTTP 409)."""

    kind = CONFLICT
    default_message = "You are the last subscriber of this active task: abort it instead."


class TaskTypeNotFound(GTFError):
    """Neither the registry nor the task-type table knows this name (HTTP 404)."""

    kind = NOT_FOUND


class StaffRequired(GTFError):
    """Only staff may do this (HTTP 403)."""

    kind = FORBIDDEN
    default_message = "Only staff may do this."


class PermissionRequired(StaffRequired):
    """The caller lacks the model permission this operator action needs (HTTP 403)."""

    def __init__(self, permission: str, message: str | None = None):
        self.permission = permission
        super().__init__(message or f"This needs the permission {permission!r}.")

    def details(self) -> dict[str, Any]:
        return {"permission": self.permission}


class ScheduleNotFound(GTFError):
    """No schedule has this id or name (HTTP 404)."""

    kind = NOT_FOUND
    default_message = "Schedule not found."


class ServiceUnavailable(GTFError):
    """The database or the broker cannot be reached now; try again later (HTTP 503)."""

    default_message = "The service is unavailable for a moment; try again shortly."
    kind = UNAVAILABLE
