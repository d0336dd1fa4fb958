"""Admin for operating task types and schedules, and the audit trail (read only); every change
goes through the services."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from tasks_app.admin.lookups import StorableLookupsMixin
from tasks_app.admin.tasks import NoBulkDeleteMixin
from tasks_app.exceptions import GTFError, InvalidInput, ParameterError
from tasks_app.jsonvalues import MAX_DEPTH, parse
from tasks_app.models import OperatorAction, Schedule, TaskType
from tasks_app.ops import schedules
from tasks_app.ops import task_types as types
from tasks_app.registry import registry


# No bulk delete: orphans are deleted one by one.
@admin.register(TaskType)
class TaskTypeAdmin(StorableLookupsMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "enabled", "registered", "last_seen_at", "updated_by")
    list_filter = ("enabled",)
    search_fields = ("name",)
    fields = ("name", "enabled", "registered", "description", "first_seen_at", "last_seen_at")
    readonly_fields = ("name", "registered", "description", "first_seen_at", "last_seen_at")
    actions = ("enable_types", "disable_types")

    @admin.display(boolean=True, description=_("registered (not an orphan)"))
    def registered(self, obj: TaskType) -> bool:
        return obj.name in registry

    def has_add_permission(self, request) -> bool:
        return False  # rows mirror the registry; a sync creates them

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a registered type's row would silently re-enable it at the next sync.
        if obj is not None and obj.name in registry:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if "enabled" in form.changed_data:
            types.task_type_set_enabled(name=obj.name, enabled=obj.enabled, user=request.user)

    def _set_enabled(self, request, queryset, enabled: bool) -> None:
        for row in queryset:
            types.task_type_set_enabled(name=row.name, enabled=enabled, user=request.user)
        state = _("enabled") if enabled else _("disabled")
        self.message_user(request, f"{queryset.count()} task type(s) {state}.", messages.SUCCESS)

    @admin.action(description=_("Enable selected task types"), permissions=["change"])
    def enable_types(self, request, queryset) -> None:
        self._set_enabled(request, queryset, True)

    @admin.action(description=_("Disable selected task types"), permissions=["change"])
    def disable_types(self, request, queryset) -> None:
        self._set_enabled(request, queryset, False)


class JSONTextField(forms.JSONField):
    """JSON typed into a form: nesting bounded before parsing (Django's field lets a
    RecursionError out), NaN parsed so the services refuse it by name, and the text shown back
    as typed (a parsed lone surrogate could not be written into the page)."""

    def to_python(self, value: Any) -> Any:
        if self.disabled or value in self.empty_values or not isinstance(value, str):
            return super().to_python(value)
        try:
            return parse(value, max_depth=MAX_DEPTH)
        except ValueError as exc:
            raise ValidationError(_("Not JSON: %(error)s"), params={"error": exc}) from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        if self.disabled or data is None:
            return super().bound_data(data, initial)
        return InvalidJSONInput(data)


class ScheduleForm(forms.ModelForm):
    user: Any = None  # who saves: the schedule will submit as them (set by the admin)

    class Meta:
        model = Schedule
        fields = schedules.FIELDS
        field_classes = {"parameters": JSONTextField}

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # ModelForm's: the cleaned_data
        values = {f: data.get(f) for f in schedules.FIELDS}
        values["cron"] = values["cron"] or ""
        values["task_key"] = values["task_key"] or ""
        unchanged_type = self.instance.pk and self.instance.task_type == values["task_type"]
        try:
            self.cleaned_values = schedules.clean_schedule(values, type_changed=not unchanged_type)
            schedules.check_owner(self.user, self.cleaned_values)
        except ParameterError as exc:
            raise ValidationError({"parameters": json.dumps(exc.errors)}) from exc
        except InvalidInput as exc:
            target = exc.field if exc.field in self.fields else None
            raise ValidationError({target: exc.message} if target else exc.message) from exc
        except GTFError as exc:
            raise ValidationError({"task_type": exc.message}) from exc
        return data


@admin.register(Schedule)
class ScheduleAdmin(StorableLookupsMixin, admin.ModelAdmin):
    form = ScheduleForm
    list_display = (
        "name",
        "task_type",
        "kind",
        "enabled",
        "next_run_at",
        "last_run_at",
        "last_outcome",
        "owner_name",
        "submitted_count",
        "joined_count",
        "skipped_count",
        "failed_count",
    )
    list_filter = ("kind", "enabled", "last_outcome")
    search_fields = ("name", "task_type")
    readonly_fields = (
        "next_run_at",
        "last_run_at",
        "last_outcome",
        "last_message",
        "last_task_uuid",
        "submitted_count",
        "joined_count",
        "skipped_count",
        "failed_count",
        "owner",
        "owner_name",
        "created_by",
        "created_at",
        "updated_at",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        cast(type[ScheduleForm], form).user = request.user
        return form

    def save_model(self, request, obj, form, change) -> None:
        values = form.cleaned_values
        if change:
            current = Schedule.objects.get(pk=obj.pk)
            saved = schedules.schedule_update(schedule=current, changes=values, user=request.user)
        else:
            saved = schedules.schedule_create(user=request.user, **values)
        obj.pk = saved.pk  # the admin redirects to the saved object

    def delete_model(self, request, obj) -> None:
        schedules.schedule_delete(schedule=obj, user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for schedule in queryset:
            schedules.schedule_delete(schedule=schedule, user=request.user)


@admin.register(OperatorAction)
class OperatorActionAdmin(StorableLookupsMixin, admin.ModelAdmin):
    """The audit trail: read only, written by the services as operators act."""

    list_display = ("created_at", "actor_name", "action", "target_type", "target_id", "reason")
    list_filter = ("action", "target_type", "created_at")
    search_fields = ("actor_name", "target_id", "reason")
    # Every column is read only: the trail is written by the services alone.
    readonly_fields = tuple(f.name for f in OperatorAction._meta.fields if not f.primary_key)
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the trail goes only with the retention prune
