"""The one mapping of state and task errors to HTTP answers."""

from __future__ import annotations

import re

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
from tasks_app.exceptions import GTFError, InvalidInput, TaskNotFound

STATUS_BY_ERROR: list[tuple[type[GTFError], int]] = [
    (TaskNotFound, status.HTTP_404_NOT_FOUND),
    (StateNotFound, status.HTTP_404_NOT_FOUND),
    (StateForbidden, status.HTTP_403_FORBIDDEN),
    (VersionMismatch, status.HTTP_412_PRECONDITION_FAILED),
    (UndecodableEntry, status.HTTP_409_CONFLICT),
    (InvalidValue, status.HTTP_400_BAD_REQUEST),
    (InvalidKey, status.HTTP_400_BAD_REQUEST),
    (InvalidExpiry, status.HTTP_400_BAD_REQUEST),
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
]


def _code(exc: GTFError) -> str:
    rule = getattr(exc, "rule", None)
    return rule or re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def error_response(exc: Exception) -> Response | None:
    """``{"detail", "field", "code"}`` with the status of ``exc``; None if not ours."""
    for cls, code in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            body = {"detail": exc.message, "field": getattr(exc, "field", None), "code": _code(exc)}
            headers = {}
            if isinstance(exc, VersionMismatch):
                body["current_version"] = exc.current
                if exc.current is not None:
                    headers["ETag"] = f'"{exc.current}"'
            return Response(body, status=code, headers=headers)
    return None


def validation_response(errors: dict) -> Response:
    """A serializer's errors as one ``{"detail", "field"}`` answer naming the first problem."""
    field, messages = next(iter(errors.items()))
    message = messages[0] if isinstance(messages, list) else messages
    name = None if field == "non_field_errors" else field
    detail = f"{name}: {message}" if name else str(message)
    return Response(
        {"detail": detail, "field": name, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST
    )
