"""The one error envelope of every GTF endpoint (tasks, task types, schedules, state).

Every error body has the same shape: ``{"detail": str, "code": str, "field": str | null}``,
plus ``errors`` (``{field: [messages]}``) when input fields are to blame and whatever facts the
error carries (``current_version`` of a stale state write). A service error's status follows
from its declared ``kind``; infrastructure errors (database or broker unreachable) are 503 with
``Retry-After``. Any other database error (a migration not applied, a broken query) is a 500
with the same envelope, its traceback logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, InterfaceError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from tasks_app.db_errors import database_unreachable
from tasks_app.exceptions import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    PRECONDITION_FAILED,
    UNAVAILABLE,
    GTFError,
    ParameterError,
    ServiceUnavailable,
)
from tasks_app.jsonvalues import clean_text

logger = logging.getLogger("tasks_app.api")

STATUS_BY_KIND: dict[str, int] = {
    INVALID: status.HTTP_400_BAD_REQUEST,
    FORBIDDEN: status.HTTP_403_FORBIDDEN,
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    CONFLICT: status.HTTP_409_CONFLICT,
    PRECONDITION_FAILED: status.HTTP_412_PRECONDITION_FAILED,
    UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}
# Seconds a client should wait before trying again after a 503.
RETRY_AFTER = 5
SERVER_ERROR = "A server error occurred."


def status_for(exc: GTFError) -> int:
    return STATUS_BY_KIND.get(exc.kind, status.HTTP_400_BAD_REQUEST)


def error_body(
    detail: str,
    code: str,
    *,
    field: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **details: Any,
) -> dict[str, Any]:
    # Messages may quote the input; a lone surrogate in it could not be sent as UTF-8.
    body: dict[str, Any] = {"detail": clean_text(str(detail)), "code": code, "field": field}
    if errors:
        errors = {
            clean_text(str(name)): [clean_text(str(m)) for m in messages]
            for name, messages in errors.items()
        }
        body["field"] = clean_text(field) if field else next(iter(errors))
        body["errors"] = errors
    elif field:
        body["field"] = clean_text(field)
    body.update(details)
    return body


def _gtf_body(exc: GTFError) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if isinstance(exc, ParameterError):
        errors = {
            name if name == "parameters" else f"parameters.{name}": [msg]
            for name, msg in exc.errors.items()
        }
    elif exc.field:
        errors = {exc.field: [exc.message]}
    return error_body(exc.message, exc.code, errors=errors, **exc.details())


NON_FIELD = "non_field_errors"


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
                out.setdefault(prefix or NON_FIELD, []).append(str(item))
    else:
        out[prefix or NON_FIELD] = [str(detail)]
    return out


def _drf_body(exc: exceptions.APIException) -> dict[str, Any]:
    detail = exc.detail
    if isinstance(detail, dict | list):
        errors = _flatten(detail)
        first_field, messages = next(iter(errors.items()), (NON_FIELD, ["Invalid input."]))
        codes = exc.get_codes()
        code = "invalid" if isinstance(codes, dict | list) else str(codes)
        if first_field == NON_FIELD:  # a problem of the whole body names no field
            return error_body(messages[0], code)
        return error_body(f"{first_field}: {messages[0]}", code, errors=errors)
    return error_body(str(detail), str(getattr(detail, "code", None) or exc.default_code))


def error_response(exc: GTFError) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER)} if exc.kind == UNAVAILABLE else {}
    return Response(_gtf_body(exc), status=status_for(exc), headers=headers)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler of the GTF API (set per view, so the host's setting is kept)."""
    if isinstance(exc, DatabaseError | InterfaceError):
        set_rollback()
        if database_unreachable(exc):
            # The database is unreachable or dropped the connection: the client may try again.
            logger.warning("Database unavailable: %s", exc, extra={"action": "unavailable"})
            return error_response(ServiceUnavailable())
        # A fault of this server (a missing migration, a bad query): trying again won't help.
        logger.error("Database error: %s", exc, exc_info=exc, extra={"action": "database_error"})
        return Response(error_body(SERVER_ERROR, "server_error"), status=500)
    if isinstance(exc, GTFError):
        return error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = _drf_body(exc)
    else:  # Django's Http404 / PermissionDenied, already given a status by DRF
        response.data = error_body(str(response.data.get("detail", "")), "error")
    return response
