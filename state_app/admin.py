"""Admin for both stores. Forms validate through the state codec; saves go through the stores."""

from __future__ import annotations

import json
from datetime import datetime

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from state_app import permissions
from state_app.codec import Undecodable, decode, encode, validate_asset, validate_key
from state_app.exceptions import InvalidKey, InvalidValue
from state_app.models import AssetState, TaskState
from state_app.stores import AssetStateStore, StateStore, TaskStateStore
from tasks_app.admin.lookups import StorableLookupsMixin


class StateEntryForm(forms.ModelForm):
    value = forms.CharField(
        label=_("value (JSON)"),
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            decoded = decode(self.instance.value)
            self.initial["value"] = (
                decoded.raw
                if isinstance(decoded, Undecodable)
                else json.dumps(decoded, indent=2, ensure_ascii=False)
            )

    def clean_key(self):
        try:
            return validate_key(self.cleaned_data["key"])
        except InvalidKey as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_value(self):
        try:
            # NaN and Infinity parse here so that the state validator refuses them by name.
            self.parsed_value = json.loads(self.cleaned_data["value"])
        except (ValueError, RecursionError) as exc:
            raise forms.ValidationError(_("Not JSON: %(error)s"), params={"error": exc}) from None
        try:
            encode(self.parsed_value)
        except InvalidValue as exc:
            raise forms.ValidationError(exc.message) from None
        return self.cleaned_data["value"]

    def _get_validation_exclusions(self):
        # The (owner, key) constraint counts expired rows, which a write replaces: the key
        # is checked by clean_key and validate_unique instead.
        # A private hook of ModelForm that the stubs leave out.
        return {*super()._get_validation_exclusions(), "key"}  # type: ignore[misc]

    def validate_unique(self):
        # The store upserts (an expired row is replaced); only a live duplicate is an error.
        if (
            self.instance.pk is None
            and not self.errors
            and self.store().get_entry(self.cleaned_data["key"])
        ):
            self.add_error("key", _("An entry with this key exists: change that one instead."))

    def store(self) -> StateStore:
        raise NotImplementedError


class TaskStateForm(StateEntryForm):
    class Meta:
        model = TaskState
        fields = ["task", "key", "value", "expires_at"]

    def store(self) -> TaskStateStore:
        task = self.cleaned_data.get("task") or self.instance.task
        return TaskStateStore(task.pk)

    def clean_expires_at(self):
        expires_at = self.cleaned_data["expires_at"]
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future, or none for never."))
        return expires_at


class AssetStateForm(StateEntryForm):
    class Meta:
        model = AssetState
        fields = ["asset", "key", "value"]

    def clean_asset(self):
        try:
            return validate_asset(self.cleaned_data["asset"])
        except InvalidKey as exc:
            raise forms.ValidationError(exc.message) from None

    def store(self) -> AssetStateStore:
        return AssetStateStore(self.cleaned_data.get("asset") or self.instance.asset)


class StateEntryAdmin(StorableLookupsMixin, admin.ModelAdmin):
    search_fields = ["key"]
    readonly_fields = ["version", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        owner = ["task", "key"] if self.model is TaskState else ["asset", "key"]
        return [*self.readonly_fields, *(owner if obj is not None else [])]

    def write(self, request, form, key: str):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        self.write(request, form, obj.key)
        # The store wrote the row (version + 1); the admin goes on with what is stored now.
        rows = form.store().rows().filter(key=obj.key)
        obj.pk = obj.pk or rows.values_list("pk", flat=True).get()
        obj.refresh_from_db()


@admin.register(TaskState)
class TaskStateAdmin(StateEntryAdmin):
    form = TaskStateForm
    list_display = ["key", "task", "version", "updated_at", "expires_at"]
    ordering = ["task", "key"]
    list_filter = ["updated_at", "expires_at"]
    raw_id_fields = ["task"]
    search_fields = ["key", "task__uuid", "task__task_type"]

    def write(self, request, form, key):
        expires_at: datetime | None = form.cleaned_data.get("expires_at")
        ttl = None if expires_at is None else expires_at - timezone.now()
        form.store().set(key, form.parsed_value, ttl=ttl)


@admin.register(AssetState)
class AssetStateAdmin(StateEntryAdmin):
    form = AssetStateForm
    list_display = ["asset", "key", "version", "updated_at", "updated_by_task", "updated_by_user"]
    ordering = ["asset", "key"]
    list_filter = ["asset"]
    search_fields = ["asset", "key"]
    readonly_fields = ["version", "updated_at", "updated_by_task", "updated_by_user"]

    # The rule of the REST API: writing asset state, a new key or not, needs the change
    # permission (asset state has no separate "add").
    def has_add_permission(self, request) -> bool:
        return request.user.is_staff and permissions.may_change_assets(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_staff and permissions.may_change_assets(request.user)

    def write(self, request, form, key):
        store = AssetStateStore(form.store().asset, user=request.user)
        store.set(key, form.parsed_value)
