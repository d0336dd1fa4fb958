"""One place that turns errors into HTTP answers with a JSON body naming the problem.

Every error body has the same shape: ``{"detail": str, "code": str}``, plus ``field`` (the
first input field at fault) and ``errors`` (``{field: [messages]}``) when input fields are
to blame. GTF service errors map to statuses through :data:`ERROR_STATUS`; other apps add
their own :class:`~tasks_app.exceptions.GTFError` subclasses to it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tasks_app.exceptions import (
    AbortForbidden,
    GTFError,
    InvalidInput,
    InvalidTransition,
    LastSubscriber,
    ParameterError,
    ScheduleNotFound,
    StaffRequired,
    SubmitForbidden,
    TaskAlreadyFinished,
    TaskNotAbortable,
    TaskNotFound,
    TaskTypeDisabled,
    TaskTypeNotFound,
    UnknownTaskType,
)

logger = logging.getLogger("tasks_app.api")

# Looked up along the exception's MRO, so a subclass inherits its base's status.
ERROR_STATUS: dict[type[GTFError], int] = {
    TaskNotFound: status.HTTP_404_NOT_FOUND,
    TaskTypeNotFound: status.HTTP_404_NOT_FOUND,
    ScheduleNotFound: status.HTTP_404_NOT_FOUND,
    UnknownTaskType: status.HTTP_400_BAD_REQUEST,
    ParameterError: status.HTTP_400_BAD_REQUEST,
    InvalidInput: status.HTTP_400_BAD_REQUEST,
    SubmitForbidden: status.HTTP_403_FORBIDDEN,
    AbortForbidden: status.HTTP_403_FORBIDDEN,
    StaffRequired: status.HTTP_403_FORBIDDEN,
    TaskTypeDisabled: status.HTTP_409_CONFLICT,
    TaskNotAbortable: status.HTTP_409_CONFLICT,
    TaskAlreadyFinished: status.HTTP_409_CONFLICT,
    LastSubscriber: status.HTTP_409_CONFLICT,
    InvalidTransition: status.HTTP_409_CONFLICT,
}

# The input field a service error is about, when the error itself does not say.
ERROR_FIELD: dict[type[GTFError], str] = {UnknownTaskType: "task_type"}


def error_code(exc: Exception) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def status_for(exc: GTFError) -> int:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    # An unmapped service error is still the caller's request being refused, not a crash.
    logger.warning("No HTTP status mapped for %s; answering 400", type(exc).__name__)
    return status.HTTP_400_BAD_REQUEST


def error_body(
    detail: str, code: str, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["field"] = next(iter(errors))
        body["errors"] = errors
    return body


def _gtf_body(exc: GTFError) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if isinstance(exc, ParameterError):
        errors = {
            name if name == "parameters" else f"parameters.{name}": [msg]
            for name, msg in exc.errors.items()
        }
    elif isinstance(exc, InvalidInput):
        errors = {exc.field: [exc.message]}
    else:
        for cls in type(exc).__mro__:
            if cls in ERROR_FIELD:
                errors = {ERROR_FIELD[cls]: [exc.message]}
                break
    return error_body(exc.message, error_code(exc), errors)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested field errors as ``{"a.b": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        for item in detail:
            if isinstance(item, dict | list):
                for k, v in _flatten(item, prefix).items():
                    out.setdefault(k, []).extend(v)
            else:
                out.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _drf_body(exc: exceptions.APIException) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, dict | list):
        errors = _flatten(detail)
        first_field, messages = next(iter(errors.items()), ("", ["Invalid input."]))
        summary = (
            messages[0] if first_field == "non_field_errors" else f"{first_field}: {messages[0]}"
        )
        codes = exc.get_codes()
        code = "invalid" if isinstance(codes, dict | list) else str(codes)
        return error_body(summary, code, errors)
    return error_body(str(detail), str(getattr(detail, "code", None) or exc.default_code))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler of the GTF API (set per view, so the host's setting is kept)."""
    if isinstance(exc, GTFError):
        return Response(_gtf_body(exc), status=status_for(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = _drf_body(exc)
    else:  # Django's Http404 / PermissionDenied, already given a status by DRF
        response.data = error_body(str(response.data.get("detail", "")), "error")
    return response
