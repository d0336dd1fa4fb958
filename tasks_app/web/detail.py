"""The task page and its actions: abort, leave, force abort (staff with the permission)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tasks_app import rules, selectors, services
from tasks_app.exceptions import GTFError, TaskNotFound
from tasks_app.models import TaskScope, TaskStatus, TaskSubscriber
from tasks_app.web.pages import error_status, not_found, render_page
from tasks_app.web.panels import panels_for

MAX_SUBSCRIBERS_SHOWN = 50


@dataclass(frozen=True)
class Actions:
    """What the page offers, predicted by the rules ``services.task_abort`` applies."""

    abort: bool = False
    leave: bool = False
    force: bool = False
    note: str = ""


def actions_for(task: selectors.ListedTask, user) -> Actions:
    others = task.subscriber_count - (1 if task.is_subscribed else 0)
    leaves = task.scope == TaskScope.SHARED and task.is_subscribed
    operator = rules.has_operator_permission(user, rules.FORCE_ABORT_TASK)
    if task.scope == TaskScope.SHARED:
        own = task.is_subscribed and others == 0
    else:
        own = task.created_by_id is not None and task.created_by_id == user.pk
    if task.is_finished:
        return Actions(leave=leaves)
    if task.status == TaskStatus.ABORTING:
        return Actions(note=_("Abort requested: the task is stopping."))
    stoppable = task.status == TaskStatus.PENDING or task.is_abortable
    note = (
        ""
        if stoppable
        else _("This task is running and cannot be aborted: it registered no abort handler.")
    )
    if leaves and others > 0:
        # task_abort would only unsubscribe this user; an operator may abort for everyone.
        return Actions(leave=True, force=stoppable and operator, note=note)
    return Actions(abort=stoppable and (own or operator), note=note)


def _task_or_none(user, task_uuid) -> selectors.ListedTask | None:
    try:
        parsed = selectors.parse_uuid(task_uuid)
    except TaskNotFound:
        return None
    return selectors.task_list_annotated(user=user).filter(uuid=parsed).first()


def render_detail(request, task: selectors.ListedTask, *, status: int = 200, error: str = ""):
    subscribers = (
        TaskSubscriber.objects.filter(task=task).select_related("user")[:MAX_SUBSCRIBERS_SHOWN]
        if task.scope == TaskScope.SHARED
        else []
    )
    return render_page(
        request,
        "tasks_app/task_detail.html",
        {
            "task": task,
            "actions": actions_for(task, request.user),
            "show_traceback": rules.may_see_traceback(request.user),
            "subscribers": subscribers,
            "panels": panels_for(request=request, task=task),
            "error": error,
        },
        status=status,
    )


@login_required
def task_detail(request, task_uuid):
    task = _task_or_none(request.user, task_uuid)
    if task is None:
        return not_found(request)
    return render_detail(request, task)


def _refused(request, task_uuid, exc: GTFError):
    """The task page again, with the reason and the status the API would answer."""
    task = _task_or_none(request.user, task_uuid)
    if task is None or isinstance(exc, TaskNotFound):
        return not_found(request, exc.message if task is not None else None)
    return render_detail(request, task, status=error_status(exc), error=exc.message)


@login_required
@require_POST
def task_abort(request, task_uuid):
    force = request.POST.get("force") in ("1", "true", "on")
    try:
        result = services.task_abort(task_uuid=task_uuid, user=request.user, force=force)
    except GTFError as exc:
        return _refused(request, task_uuid, exc)
    if result.action == "unsubscribed":
        messages.info(request, _("You left the task; its other subscribers keep it running."))
        return redirect("tasks_web:task-list")
    messages.success(request, _("Abort requested."))
    return redirect("tasks_web:task-detail", task_uuid=result.task.uuid)


@login_required
@require_POST
def task_leave(request, task_uuid):
    try:
        task = services.task_unsubscribe(task_uuid=task_uuid, user=request.user)
    except GTFError as exc:
        return _refused(request, task_uuid, exc)
    messages.info(request, _("You left %(task)s.") % {"task": task.task_name or task.task_key})
    return redirect("tasks_web:task-list")
