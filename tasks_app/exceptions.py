"""Errors raised by GTF services. The API layer maps each to an HTTP status."""

from __future__ import annotations


class GTFError(Exception):
    """Base of every GTF error."""

    default_message = "GTF error."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class TaskNotFound(GTFError):
    """The task does not exist or the caller may not see it (HTTP 404)."""

    default_message = "Task not found."


class UnknownTaskType(GTFError):
    """No registered function has this name (HTTP 400)."""


class TaskTypeDisabled(GTFError):
    """An operator disabled the type (HTTP 409)."""


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

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class SubmitForbidden(GTFError):
    """The caller may not submit this type or scope (HTTP 403)."""


class AbortForbidden(GTFError):
    """The caller sees the task but may not abort it this way (HTTP 403)."""


class TaskNotAbortable(GTFError):
    """The task is running and registered no abort handler (HTTP 409)."""

    default_message = "The task is running and cannot be aborted: it registered no abort handler."


class TaskAlreadyFinished(GTFError):
    """The task reached a terminal status already (HTTP 409)."""

    default_message = "The task has already finished."


class InvalidTransition(GTFError):
    """The lifecycle table does not allow this status change."""

    def __init__(self, current: str, target: str):
        self.current, self.target = current, target
        super().__init__(f"Illegal task status transition {current} -> {target}.")


class LastSubscriber(GTFError):
    """Leaving would leave an active shared task with no subscriber (HTTP 409)."""

    default_message = "You are the last subscriber of this active task: abort it instead."


class TaskTypeNotFound(GTFError):
    """Neither the registry nor the task-type table knows this name (HTTP 404)."""


class StaffRequired(GTFError):
    """Only staff may do this (HTTP 403)."""

    default_message = "Only staff may do this."


class ScheduleNotFound(GTFError):
    """No schedule has this id or name (HTTP 404)."""

    default_message = "Schedule not found."
