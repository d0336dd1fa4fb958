"""The submit page of a task type: a form made from the type's parameters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tasks_app import availability, services
from tasks_app.exceptions import GTFError, InvalidInput, ParameterError, UnknownTaskType
from tasks_app.registry import TaskDefinition, registry
from tasks_app.web.forms import ParametersForm, SubmitOptionsForm
from tasks_app.web.pages import error_status, render_page


def _definition(name: str) -> TaskDefinition:
    try:
        return registry.get(name)
    except UnknownTaskType:
        raise Http404(_("No task type %(name)r is registered.") % {"name": name}) from None


def may_submit(definition: TaskDefinition, user) -> bool:
    return not definition.permission or user.has_perm(definition.permission)


@login_required
def task_submit(request, name):
    definition = _definition(name)
    data = request.POST if request.method == "POST" else None
    options = SubmitOptionsForm(data, definition=definition, user=request.user)
    parameters = ParametersForm(data, signature=definition.signature)
    status, error = 200, ""
    if request.method == "POST":
        status = 400
        if options.is_valid() and parameters.is_valid():
            try:
                result = services.task_submit(
                    task_type=definition.name,
                    user=request.user,
                    parameters=parameters.parameters(),
                    **options.options(),
                )
            except ParameterError as exc:
                for param, message in exc.errors.items():
                    parameters.add_service_error(param, message)
            except InvalidInput as exc:
                field = exc.field if exc.field in options.fields else None
                options.add_error(field, exc.message)
            except GTFError as exc:
                status, error = error_status(exc), exc.message
            else:
                task = result.task
                if result.created:
                    messages.success(request, _("Task submitted."))
                else:
                    messages.info(
                        request,
                        _(
                            "A task with this key was already active: you joined it instead "
                            "of starting another."
                        ),
                    )
                return redirect("tasks_web:task-detail", task_uuid=task.uuid)
    elif request.method != "GET":
        status = 405
    return render_page(
        request,
        "tasks_app/task_submit.html",
        {
            "definition": definition,
            "options_form": options,
            "parameters_form": parameters,
            "disabled": availability.is_disabled(definition.name),
            "may_submit": may_submit(definition, request.user),
            "error": error,
        },
        status=status,
    )
