from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from state_app.stores import MAX_TTL
from tasks_app.api.users import UserIdField


@extend_schema_field(OpenApiTypes.ANY)
class StateValueField(serializers.Field):
    """Passes the parsed value on untouched: the state validator alone judges it, so every
    refusal carries its message (DRF's JSONField would refuse NaN with its own)."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value

    def validate_empty_values(self, data):
        if data is serializers.empty:
            return super().validate_empty_values(data)
        return False, data  # null included: the validator's rule, not DRF's


class _StrictSerializer(serializers.Serializer):
    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(f"Unknown field(s): {', '.join(unknown)}.")
        return attrs


class StateAssetWriteSerializer(_StrictSerializer):
    value = StateValueField(help_text="Any JSON value except null.")


class StatePatchSerializer(StateAssetWriteSerializer):
    """PATCH replaces the value only; a task state entry keeps its expiry."""


class StateTaskWriteSerializer(StateAssetWriteSerializer):
    ttl = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_TTL,
        help_text="Seconds until the entry expires; null: never; omitted: TASK_STATE_TTL.",
    )


class TaskStateEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.JSONField(
        source="json_value", allow_null=True, help_text="null when undecodable"
    )
    version = serializers.IntegerField(help_text="Also the ETag; send it as If-Match.")
    updated_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    undecodable = serializers.BooleanField(
        help_text="The stored text is not JSON; it is in raw, and logged."
    )
    raw = serializers.CharField(allow_null=True)


class AssetStateEntrySerializer(TaskStateEntrySerializer):
    # DRF drops an inherited field set to None; the stubs cannot know.
    expires_at = None  # type: ignore[assignment]
    updated_by_task = serializers.UUIDField(allow_null=True)
    updated_by_user = UserIdField(source="updated_by_user_id", allow_null=True)


class AssetSummarySerializer(serializers.Serializer):
    asset = serializers.CharField()
    keys = serializers.IntegerField(help_text="Number of keys")
    updated_at = serializers.DateTimeField(help_text="Latest write to any key")


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The schema of a page object ``{count, next, previous, results}`` of ``item``."""
    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    return type(name, (serializers.Serializer,), fields)


TaskStatePageSerializer = page_of(TaskStateEntrySerializer, "TaskStatePageSerializer")
AssetStatePageSerializer = page_of(AssetStateEntrySerializer, "AssetStatePageSerializer")
AssetSummaryPageSerializer = page_of(AssetSummarySerializer, "AssetSummaryPageSerializer")
