"""Django admin for tasks and subscribers: read-only views; every change goes through services.

Tasks cannot be added or edited here: the status only changes through the lifecycle, so the
admin offers "abort" and "delete finished" actions that call the services instead.
"""

from __future__ import annotations

import contextlib
import json
import uuid as uuid_lib

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tasks_app import rules, services
from tasks_app.admin.lookups import StorableLookupsMixin
from tasks_app.conf import conf
from tasks_app.exceptions import GTFError
from tasks_app.models import Task, TaskAttempt, TaskStatus, TaskSubscriber
from tasks_app.registry import registry

S = TaskStatus
BADGE_COLOURS: dict[str, str] = {
    S.PENDING: "#6c757d",
    S.IN_PROGRESS: "#0d6efd",
    S.ABORTING: "#fd7e14",
    S.SUCCESS: "#198754",
    S.FAILURE: "#dc3545",
    S.ABORTED: "#6f42c1",
    S.TIMED_OUT: "#b02a37",
}


def exact_time(value) -> str:
    """A time to the second, in the current time zone (Django's default shows minutes)."""
    return "—" if value is None else date_format(localtime(value), "Y-m-d H:i:s")


def time_column(field: str, label):
    @admin.display(description=label, ordering=field)
    def show(self, task: Task) -> str:
        return exact_time(getattr(task, field))

    return show


UUID_GROUPS = (8, 4, 4, 4, 12)


def uuid_prefix(term: str) -> str | None:
    """``term`` as the start of a uuid written in its usual form (dashes where they go), or
    None if it cannot be one. Typed with or without dashes, in either case."""
    digits = term.strip().replace("-", "").lower()
    if not digits or len(digits) > 32 or any(c not in "0123456789abcdef" for c in digits):
        return None
    groups, rest = [], digits
    for size in UUID_GROUPS:
        if rest:
            groups.append(rest[:size])
            rest = rest[size:]
    return "-".join(groups)


def pretty_json(value) -> str:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html('<pre class="gtf-json">{}</pre>', text)


class NoBulkDeleteMixin:
    """Drops Django's stock "delete selected" action (Django 5.2 and 6.x signatures)."""

    def get_actions(self, request, action_location=None):
        # A mixin: the ModelAdmin after it in the bases defines get_actions.
        if action_location is None:
            actions = super().get_actions(request)  # type: ignore[misc]
        else:
            actions = super().get_actions(request, action_location=action_location)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions


class TaskTypeFilter(admin.SimpleListFilter):
    """Registered types (reading distinct values from a large table would be slow)."""

    title = _("task type")
    parameter_name = "task_type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in registry.names()]

    def queryset(self, request, queryset):
        return queryset.filter(task_type=self.value()) if self.value() else queryset


class TaskSubscriberInline(admin.TabularInline):
    model = TaskSubscriber
    fields = ("user", "subscribed")
    readonly_fields = fields
    subscribed = time_column("subscribed_at", _("subscribed at"))
    extra = 0
    can_delete = False  # leaving a task goes through task_unsubscribe / task_abort

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TaskAttemptInline(admin.TabularInline):
    """The attempts that ended in a retry; the current one is the task's own status and error."""

    model = TaskAttempt
    fields = ("number", "status", "started", "ended", "worker_id", "error_type", "error")
    readonly_fields = fields
    started = time_column("started_at", _("started at"))
    ended = time_column("ended_at", _("ended at"))
    extra = 0
    can_delete = False  # the history of a task is written by its runs only
    verbose_name_plural = _("earlier attempts (ended in a retry)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("error"))
    def error(self, attempt: TaskAttempt) -> str:
        if not conf.EXPOSE_TRACEBACKS or not attempt.error_traceback:
            return attempt.error_message or "—"
        return format_html(
            '{}<details><summary>{}</summary><pre class="gtf-traceback">{}</pre></details>',
            attempt.error_message,
            _("traceback"),
            attempt.error_traceback,
        )


# No bulk delete: it would hit active tasks.
@admin.register(Task)
class TaskAdmin(StorableLookupsMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    list_display = (
        "short_uuid",
        "task_type",
        "task_key",
        "scope",
        "status_badge",
        "progress_bar",
        "created_by",
        "created",
        "duration",
    )
    list_filter = ("status", "scope", TaskTypeFilter, "created_at")
    search_fields = ("task_key", "task_name", "task_type")
    list_select_related = ("created_by",)
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over a big table on every page is not worth it
    actions = ["abort_selected", "rerun_selected", "delete_finished"]
    inlines = [TaskAttemptInline, TaskSubscriberInline]
    fieldsets = (
        (None, {"fields": ("uuid", "task_type", "task_key", "task_name", "scope")}),
        (
            _("Status"),
            {
                "fields": (
                    "status_badge",
                    "progress_bar",
                    "is_abortable",
                    "attempt",
                    "timeout",
                    "run_after",
                    "rerun_of_link",
                )
            },
        ),
        (_("Data"), {"fields": ("parameters_pretty", "payload_pretty", "result_pretty")}),
        (_("Error"), {"fields": ("error_message", "error_type", "traceback")}),
        (
            _("Times"),
            {
                "fields": (
                    "created_by",
                    "created",
                    "updated",
                    "started",
                    "ended",
                    "duration",
                    "worker_id",
                    "heartbeat",
                )
            },
        ),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    # Writes only through the actions below, which call the services.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and not obj.is_finished:
            return False  # an active task must be aborted, not deleted under its worker
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj) -> None:
        # Through the service: the same permission check, and a row in the audit trail.
        services.tasks_delete_finished(task_ids=[obj.pk], user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        services.tasks_delete_finished(task_ids=ids, user=request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        # An operator allowed to abort, rerun or delete tasks reaches the list to do it.
        return super().has_view_permission(request, obj) or any(
            rules.has_operator_permission(request.user, p)
            for p in (rules.FORCE_ABORT_TASK, rules.RERUN_TASK, rules.DELETE_TASK)
        )

    # The services' rule: the same permissions as the API and the pages ask.
    def has_abort_permission(self, request) -> bool:
        return rules.has_operator_permission(request.user, rules.FORCE_ABORT_TASK)

    created = time_column("created_at", _("created at"))
    updated = time_column("updated_at", _("updated at"))
    started = time_column("started_at", _("started at"))
    ended = time_column("ended_at", _("ended at"))
    heartbeat = time_column("heartbeat_at", _("heartbeat at"))

    def has_rerun_permission(self, request) -> bool:
        return rules.has_operator_permission(request.user, rules.RERUN_TASK)

    def get_search_results(self, request, queryset, search_term):
        results, distinct = super().get_search_results(request, queryset, search_term)
        # The list shows the first 8 characters of the uuid: they (or more) find the task.
        # A text match, not a range: MariaDB's native UUID type does not sort as text does.
        prefix = uuid_prefix(search_term)
        if prefix is not None:
            results |= queryset.filter(uuid__istartswith=prefix)
        return results, distinct

    def get_object(self, request, object_id, from_field=None):
        # /admin/tasks_app/task/<uuid>/change/ works as well as the numeric id.
        if from_field is None:
            with contextlib.suppress(ValueError):
                task_uuid = uuid_lib.UUID(str(object_id))
                return self.get_queryset(request).filter(uuid=task_uuid).first()
        return super().get_object(request, object_id, from_field)

    @admin.display(description=_("uuid"))
    def short_uuid(self, task: Task) -> str:
        return str(task.uuid)[:8]

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, task: Task) -> str:
        return format_html(
            '<span class="gtf-badge gtf-{}" style="background:{};color:#fff;padding:1px 6px;'
            'border-radius:8px;font-size:11px;white-space:nowrap">{}</span>',
            task.status.lower(),
            BADGE_COLOURS.get(task.status, "#6c757d"),
            task.get_status_display(),
        )

    @admin.display(description=_("progress"), ordering="progress_percent")
    def progress_bar(self, task: Task) -> str:
        if task.progress_percent is None:
            return "—"
        percent = max(0.0, min(100.0, task.progress_percent))
        return format_html(
            '<progress class="gtf-progress" max="100" value="{}"></progress> {}%',
            f"{percent:.0f}",
            f"{percent:.0f}",
        )

    @admin.display(description=_("rerun of"))
    def rerun_of_link(self, task: Task) -> str:
        if task.rerun_of_id is None:
            return "—"
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[task.rerun_of_id]
        )
        return format_html('<a href="{}">{}</a>', url, task.rerun_of)

    @admin.display(description=_("duration (s)"))
    def duration(self, task: Task) -> str:
        seconds = task.duration_seconds
        return "—" if seconds is None else f"{seconds:.1f}"

    @admin.display(description=_("parameters"))
    def parameters_pretty(self, task: Task) -> str:
        return pretty_json(task.parameters)

    @admin.display(description=_("payload"))
    def payload_pretty(self, task: Task) -> str:
        return pretty_json(task.payload)

    @admin.display(description=_("result"))
    def result_pretty(self, task: Task) -> str:
        return pretty_json(task.result)

    @admin.display(description=_("traceback"))
    def traceback(self, task: Task) -> str | Promise:
        if not conf.EXPOSE_TRACEBACKS:
            return _("(hidden: GTF['EXPOSE_TRACEBACKS'] is off)")
        return format_html('<pre class="gtf-traceback">{}</pre>', task.error_traceback or "—")

    @admin.action(description=_("Abort selected tasks"), permissions=["abort"])
    def abort_selected(self, request, queryset):
        done, refused = 0, []
        for task in queryset.select_related(None).only("uuid", "task_key"):
            try:
                services.task_abort(task_uuid=task.uuid, user=request.user, force=True)
            except GTFError as exc:
                refused.append(
                    _("Task %(key)s not aborted: %(error)s")
                    % {"key": task.task_key, "error": exc.message}
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("Aborted %d task.", "Aborted %d tasks.", done) % done,
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Rerun selected finished tasks"), permissions=["rerun"])
    def rerun_selected(self, request, queryset):
        done, refused = 0, []
        for task in queryset.select_related(None).only("uuid", "task_key"):
            try:
                result = services.task_rerun(task_uuid=task.uuid, user=request.user)
            except GTFError as exc:
                refused.append(
                    _("Task %(key)s not rerun: %(error)s")
                    % {"key": task.task_key, "error": exc.message}
                )
            else:
                done += result.created
                if not result.created:
                    refused.append(
                        _("Task %(key)s: an active task holds its key; that one goes on.")
                        % {"key": task.task_key}
                    )
        if done:
            self.message_user(
                request,
                ngettext("Rerun %d task.", "Rerun %d tasks.", done) % done,
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Delete selected finished tasks"), permissions=["delete"])
    def delete_finished(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        deleted = services.tasks_delete_finished(task_ids=ids, user=request.user)
        kept = len(ids) - deleted
        self.message_user(
            request,
            _("Deleted %(deleted)d finished tasks; kept %(kept)d active ones (abort them first).")
            % {"deleted": deleted, "kept": kept},
            messages.SUCCESS if not kept else messages.WARNING,
        )


@admin.register(TaskSubscriber)
class TaskSubscriberAdmin(StorableLookupsMixin, admin.ModelAdmin):
    list_display = ("task", "user", "subscribed")
    list_select_related = ("task", "user")
    readonly_fields = ("task", "user", "subscribed")
    subscribed = time_column("subscribed_at", _("subscribed at"))

    def get_search_fields(self, request):
        # The user model may have no "username" (e.g. USERNAME_FIELD = "email").
        username = get_user_model().USERNAME_FIELD
        return (f"user__{username}", "task__task_key", "task__task_type")

    # Joining and leaving follow the services' rules (the last subscriber must abort).
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
