"""Task pages while the database cannot be reached: a 503 page with ``Retry-After``.

Any other database error (a missing table or column: a ``migrate`` not run) is left to
Django: its 500 page, the traceback logged by ``django.request``. The 503 page reads
nothing from the database (no user, no session), so it renders during the outage.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.db import DatabaseError, InterfaceError
from django.http import HttpResponse
from django.template.loader import render_to_string

from tasks_app.api.errors import RETRY_AFTER
from tasks_app.db_errors import database_unreachable

logger = logging.getLogger("tasks_app.web")


def unavailable(request, exc: BaseException) -> HttpResponse:
    logger.warning("Database unavailable: %s", exc, extra={"action": "unavailable"})
    page = render_to_string("tasks_app/unavailable.html", request=None)
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def database_guard(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view``, answering the 503 page when the database cannot be reached."""
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def guarded_async(request, *args, **kwargs):
            try:
                return await view(request, *args, **kwargs)
            except (DatabaseError, InterfaceError) as exc:
                if not database_unreachable(exc):
                    raise
                return unavailable(request, exc)

        return guarded_async

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (DatabaseError, InterfaceError) as exc:
            if not database_unreachable(exc):
                raise
            return unavailable(request, exc)

    return guarded
