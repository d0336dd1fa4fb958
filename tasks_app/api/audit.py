"""The audit trail endpoint (staff with ``tasks_app.view_operatoraction``): read only."""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from tasks_app import rules
from tasks_app.api.base import GTFAPIMixin, GTFPagination, with_errors
from tasks_app.api.filters import UTCDateTimeFilter
from tasks_app.api.permissions import HasOperatorPermission
from tasks_app.api.users import UserIdField, UserIdFilter
from tasks_app.models import OperatorAction, OperatorActionKind


class OperatorActionSerializer(serializers.ModelSerializer):
    actor = UserIdField(
        source="actor_id", allow_null=True, help_text="Null: the system, or a deleted account."
    )
    actor_name = serializers.CharField(
        help_text="The actor's USERNAME_FIELD when they acted; empty: the system."
    )
    # Any JSON (an object, or null when the action changed no value).
    before = serializers.JSONField(read_only=True, help_text="Values before, where one changed.")
    after = serializers.JSONField(read_only=True, help_text="Values after, where one changed.")

    class Meta:
        model = OperatorAction
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "target_type",
            "target_id",
            "before",
            "after",
            "reason",
        ]
        read_only_fields = fields


class OperatorActionFilter(django_filters.FilterSet):
    actor = UserIdFilter(field_name="actor_id", help_text="Id of the user who acted.")
    actor_name = django_filters.CharFilter(field_name="actor_name")
    action = django_filters.MultipleChoiceFilter(
        choices=OperatorActionKind.choices, help_text="One or more actions (repeat the parameter)."
    )
    target_type = django_filters.CharFilter(field_name="target_type")
    target_id = django_filters.CharFilter(field_name="target_id")
    after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = OperatorAction
        fields: list[str] = []


@extend_schema(tags=["audit"])
@extend_schema_view(
    list=extend_schema(
        summary="Operator actions, newest first (staff with tasks_app.view_operatoraction)",
        responses=with_errors({200: OperatorActionSerializer}, 400),
    ),
)
class OperatorActionViewSet(GTFAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who aborted, reran, enabled, disabled, scheduled, pruned or wrote what, and when."""

    api_resource = "audit"
    queryset = OperatorAction.objects.order_by("-created_at", "-id")
    serializer_class = OperatorActionSerializer
    permission_classes = [HasOperatorPermission]
    operator_permissions = (rules.VIEW_OPERATOR_ACTION,)
    pagination_class = GTFPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = OperatorActionFilter
