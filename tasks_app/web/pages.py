"""What every task page shares: its context, the not-found page, errors as pages."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from tasks_app.api.errors import status_for
from tasks_app.exceptions import GTFError
from tasks_app.web.live import live_context


def admin_url(user) -> str:
    if not user.is_staff:
        return ""
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return ""


def render_page(request, template: str, context: dict, *, status: int = 200):
    context = {**live_context(request), "gtf_admin_url": admin_url(request.user), **context}
    return render(request, template, context, status=status)


def not_found(request, message: str | None = None):
    """A task the user may not see looks exactly like one that does not exist."""
    return render_page(
        request,
        "tasks_app/not_found.html",
        {"message": message or _("No task here, or none you may see.")},
        status=404,
    )


def error_status(exc: GTFError) -> int:
    """The HTTP status of a refused request: the same table as the API's."""
    return status_for(exc)
