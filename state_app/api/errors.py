"""State errors as HTTP answers: the API's status table, the state error body."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from state_app.exceptions import (
    InvalidExpiry,
    InvalidKey,
    InvalidValue,
    StateForbidden,
    StateNotFound,
    UndecodableEntry,
    VersionMismatch,
)
from tasks_app.api.errors import ERROR_STATUS, error_code, status_for
from tasks_app.exceptions import GTFError

# The state errors join the API's one status table.
ERROR_STATUS.update(
    {
        StateNotFound: status.HTTP_404_NOT_FOUND,
        StateForbidden: status.HTTP_403_FORBIDDEN,
        VersionMismatch: status.HTTP_412_PRECONDITION_FAILED,
        UndecodableEntry: status.HTTP_409_CONFLICT,
        InvalidValue: status.HTTP_400_BAD_REQUEST,
        InvalidKey: status.HTTP_400_BAD_REQUEST,
        InvalidExpiry: status.HTTP_400_BAD_REQUEST,
    }
)


def error_response(exc: Exception) -> Response | None:
    """``{"detail", "field", "code"}`` with the status of ``exc``; None if not a GTF error."""
    if not isinstance(exc, GTFError):
        return None
    code = getattr(exc, "rule", None) or error_code(exc)
    body = {"detail": exc.message, "field": getattr(exc, "field", None), "code": code}
    headers = {}
    if isinstance(exc, VersionMismatch):
        body["current_version"] = exc.current
        if exc.current is not None:
            headers["ETag"] = f'"{exc.current}"'
    return Response(body, status=status_for(exc), headers=headers)


def validation_response(errors: dict) -> Response:
    """A serializer's errors as one ``{"detail", "field"}`` answer naming the first problem."""
    field, messages = next(iter(errors.items()))
    message = messages[0] if isinstance(messages, list) else messages
    name = None if field == "non_field_errors" else field
    detail = f"{name}: {message}" if name else str(message)
    return Response(
        {"detail": detail, "field": name, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST
    )
