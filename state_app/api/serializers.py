from __future__ import annotations

from rest_framework import serializers

from state_app.stores import MAX_TTL


class _StrictSerializer(serializers.Serializer):
    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(f"Unknown field(s): {', '.join(unknown)}.")
        return attrs


class StateAssetWriteSerializer(_StrictSerializer):
    # allow_null: the state validator, not DRF, refuses a null value, with its own message.
    value = serializers.JSONField(allow_null=True, help_text="Any JSON value except null.")


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
    expires_at = None
    updated_by_task = serializers.UUIDField(allow_null=True)
    updated_by_user = serializers.IntegerField(source="updated_by_user_id", allow_null=True)


class AssetSummarySerializer(serializers.Serializer):
    asset = serializers.CharField()
    keys = serializers.IntegerField(help_text="Number of keys")
    updated_at = serializers.DateTimeField(help_text="Latest write to any key")


class StateErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    current_version = serializers.IntegerField(required=False, allow_null=True)
