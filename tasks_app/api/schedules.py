"""Schedules endpoint (staff with the schedule permissions): how a schedule looks, what writes
accept, the viewset.

The serializers only parse JSON into Python values; every rule (kinds, cron, interval, scope,
parameters, unique name) is checked by :mod:`tasks_app.ops.schedules`, which names the field.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from tasks_app import rules
from tasks_app.api.base import GTFAPIMixin, GTFPagination, with_errors
from tasks_app.api.permissions import HasOperatorPermission
from tasks_app.api.serializers import JSONObjectField
from tasks_app.models import Schedule, ScheduleKind, ScheduleOutcome
from tasks_app.ops import schedules
from tasks_app.ops.timetables import MIN_INTERVAL
from tasks_app.registry import registry


class ScheduleSerializer(serializers.ModelSerializer):
    parameters = JSONObjectField(read_only=True)
    last_outcome = serializers.SerializerMethodField(
        help_text="What the last firing did; null before the first. skipped_forbidden: the "
        "owner may no longer submit the type (last_message says why)."
    )
    is_orphan = serializers.SerializerMethodField(
        help_text="No code registers the task type: firings are skipped until it comes back."
    )

    class Meta:
        model = Schedule
        fields = [
            "id",
            *schedules.FIELDS,  # what the services accept, in their order
            "owner",
            "owner_name",
            "created_at",
            "updated_at",
            "last_run_at",
            "last_outcome",
            "last_message",
            "last_task_uuid",
            "next_run_at",
            "submitted_count",
            "joined_count",
            "skipped_count",
            "failed_count",
            "is_orphan",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ScheduleOutcome.choices, allow_null=True))
    def get_last_outcome(self, schedule: Schedule) -> str | None:
        return schedule.last_outcome or None

    def get_is_orphan(self, schedule: Schedule) -> bool:
        return schedule.task_type not in registry


class ScheduleWriteSerializer(serializers.Serializer):
    """Body of create (POST), replace (PUT) and change (PATCH)."""

    name = serializers.CharField(trim_whitespace=False)
    task_type = serializers.CharField(max_length=200, help_text="A registered task type.")
    kind = serializers.ChoiceField(choices=ScheduleKind.choices)
    run_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="once: when; interval: the first run."
    )
    interval_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=f"interval: seconds between runs ({MIN_INTERVAL} or more).",
    )
    cron = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,  # the column's size; the expression itself is checked by the service
        help_text="cron: five fields, minute hour day-of-month month day-of-week.",
    )
    parameters = JSONObjectField(required=False, help_text="Parameters of each submitted task.")
    task_key = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Key of the submitted tasks (a run still going is joined); "
        "empty: 'schedule:<name>'.",
    )
    # Plain text, checked by the service: an enum here would clash with the task scope enum.
    scope = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="shared or system (a schedule submits without a user); "
        "default: system for a system type, else shared.",
    )
    enabled = serializers.BooleanField(required=False)


# What PUT gives a field its body leaves out: a replacement keeps nothing of the old one.
PUT_DEFAULTS: dict[str, Any] = {
    "run_at": None,
    "interval_seconds": None,
    "cron": "",
    "parameters": {},
    "task_key": "",
    "scope": None,
    "enabled": True,
}


class ScheduleFilter(django_filters.FilterSet):
    task_type = django_filters.CharFilter(field_name="task_type")
    enabled = django_filters.BooleanFilter(field_name="enabled")
    kind = django_filters.ChoiceFilter(choices=ScheduleKind.choices)

    class Meta:
        model = Schedule
        fields: list[str] = []


METHOD_PERMISSIONS = {
    "GET": (rules.VIEW_SCHEDULE, rules.CHANGE_SCHEDULE),
    "HEAD": (rules.VIEW_SCHEDULE, rules.CHANGE_SCHEDULE),
    "OPTIONS": (rules.VIEW_SCHEDULE, rules.CHANGE_SCHEDULE),
    "POST": (rules.ADD_SCHEDULE,),
    "PUT": (rules.CHANGE_SCHEDULE,),
    "PATCH": (rules.CHANGE_SCHEDULE,),
    "DELETE": (rules.DELETE_SCHEDULE,),
}
ID_PARAM = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Schedule id.")


@extend_schema(tags=["schedules"])
@extend_schema_view(
    list=extend_schema(
        summary="Schedules (staff with tasks_app.view_schedule)",
        responses=with_errors({200: ScheduleSerializer}, 400, 404),
    ),
    create=extend_schema(
        summary="Create a schedule, owned by the caller (tasks_app.add_schedule)",
        request=ScheduleWriteSerializer,
        responses=with_errors({201: ScheduleSerializer}, 400),
    ),
    retrieve=extend_schema(
        parameters=[ID_PARAM], responses=with_errors({200: ScheduleSerializer}, 404)
    ),
    update=extend_schema(
        summary="Replace a schedule (tasks_app.change_schedule); fields left out get their "
        "defaults",
        parameters=[ID_PARAM],
        request=ScheduleWriteSerializer,
        responses=with_errors({200: ScheduleSerializer}, 400, 404),
    ),
    partial_update=extend_schema(
        summary="Change some fields of a schedule (tasks_app.change_schedule); the others "
        "keep their values",
        parameters=[ID_PARAM],
        request=ScheduleWriteSerializer(partial=True),
        responses=with_errors({200: ScheduleSerializer}, 400, 404),
    ),
    destroy=extend_schema(
        summary="Delete a schedule (tasks_app.delete_schedule)",
        parameters=[ID_PARAM],
        responses=with_errors({204: None}, 404),
    ),
)
class ScheduleViewSet(
    GTFAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Once, interval and cron schedules of task types, written through the schedule services."""

    api_resource = "schedules"
    queryset = Schedule.objects.order_by("name")
    serializer_class = ScheduleSerializer
    pagination_class = GTFPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ScheduleFilter
    permission_classes = [HasOperatorPermission]
    lookup_value_regex = "[^/]+"  # checked by the service so a bad id is a JSON 404

    @property
    def operator_permissions(self) -> tuple[str, ...]:
        # What the admin asks for the same thing; the services check writes again.
        return METHOD_PERMISSIONS.get(self.request.method or "", (rules.CHANGE_SCHEDULE,))

    def get_object(self) -> Schedule:
        return schedules.schedule_get(schedule_id=self.kwargs["pk"])

    def _body(self, *, partial: bool) -> dict[str, Any]:
        body = ScheduleWriteSerializer(data=self.request.data, partial=partial)
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def create(self, request, **kwargs):
        schedule = schedules.schedule_create(user=request.user, **self._body(partial=False))
        return Response(self.get_serializer(schedule).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, **kwargs):
        schedule = self.get_object()  # an unknown id is a 404 whatever the body
        changes = {**PUT_DEFAULTS, **self._body(partial=False)}
        return self._change(schedule, changes)

    def partial_update(self, request, pk=None, **kwargs):
        schedule = self.get_object()
        return self._change(schedule, self._body(partial=True))

    def _change(self, schedule: Schedule, changes: dict[str, Any]) -> Response:
        schedule = schedules.schedule_update(
            schedule=schedule, changes=changes, user=self.request.user
        )
        return Response(self.get_serializer(schedule).data)

    def destroy(self, request, pk=None, **kwargs):
        schedules.schedule_delete(schedule=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
