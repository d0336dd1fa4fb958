"""The task types page: what can be submitted; staff with ``tasks_app.change_tasktype``
switch types on and off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tasks_app import rules
from tasks_app.exceptions import GTFError
from tasks_app.ops.task_types import task_type_list, task_type_set_enabled
from tasks_app.web.pages import error_status, render_page
from tasks_app.web.submit import may_submit


def _rows(user) -> list[dict]:
    rows = []
    for info in task_type_list():
        definition = info.definition
        rows.append(
            {
                "info": info,
                "description": definition.description if definition else "",
                "abortable": definition is not None and definition.abortable,
                "parameters": [p.name for p in definition.signature.params] if definition else [],
                "may_submit": definition is not None
                and info.enabled
                and may_submit(definition, user),
            }
        )
    return rows


def render_types(request, *, status: int = 200, error: str = ""):
    return render_page(
        request,
        "tasks_app/task_types.html",
        {
            "rows": _rows(request.user),
            "error": error,
            "may_switch": rules.has_operator_permission(request.user, rules.CHANGE_TASK_TYPE),
        },
        status=status,
    )


@login_required
def type_list(request):
    return render_types(request)


@login_required
@require_POST
def type_set_enabled(request, name):
    enabled = request.POST.get("enabled")
    if enabled not in ("0", "1"):
        return render_types(request, status=400, error=_("enabled must be 0 or 1."))
    try:
        task_type_set_enabled(name=name, enabled=enabled == "1", user=request.user)
    except GTFError as exc:
        return render_types(request, status=error_status(exc), error=exc.message)
    if enabled == "1":
        messages.success(request, _("%(name)s is enabled.") % {"name": name})
    else:
        messages.success(
            request,
            _("%(name)s is disabled: it cannot be submitted, and its pending tasks will not start.")
            % {"name": name},
        )
    return redirect("tasks_web:type-list")
