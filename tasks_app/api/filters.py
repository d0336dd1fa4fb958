"""Filters, search and ordering of the task list (django-filter)."""

from __future__ import annotations

import contextlib
import uuid as uuid_lib
from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters.fields import IsoDateTimeField

from tasks_app.api.users import UserIdFilter
from tasks_app.models import Task, TaskScope, TaskStatus


class TaskOrderingFilter(django_filters.OrderingFilter):
    """Orders by the chosen fields, then by id, so pages never overlap or skip rows."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            tie = "-id" if value[-1].startswith("-") else "id"
            qs = qs.order_by(*qs.query.order_by, tie)
        return qs


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 time sent on in UTC: PostgreSQL refuses offsets beyond ±15:59."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("Date and time out of range.", code="invalid") from exc


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class TaskFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=TaskStatus.choices,
        # No join here, so no duplicates; DISTINCT would sort every matching row first.
        distinct=False,
        help_text="One or more statuses (repeat the parameter).",
    )
    task_type = django_filters.CharFilter(field_name="task_type")
    scope = django_filters.ChoiceFilter(choices=TaskScope.choices)
    task_key = django_filters.CharFilter(field_name="task_key")
    created_by = UserIdFilter(
        field_name="created_by_id", help_text="Id of the user who submitted the task."
    )
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = UTCDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Part of the key, name or type, or a whole uuid."
    )
    ordering = TaskOrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("started_at", "started_at"),
            ("ended_at", "ended_at"),
            ("status", "status"),
            ("task_type", "task_type"),
            ("progress_percent", "progress"),
        ),
        help_text="Sort field, '-' for descending. Default: -created_at.",
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        if not value:
            return queryset
        match = Q(task_key__icontains=value) | Q(task_name__icontains=value)
        match |= Q(task_type__icontains=value)
        with contextlib.suppress(ValueError):
            match |= Q(uuid=uuid_lib.UUID(value))
        return queryset.filter(match)
