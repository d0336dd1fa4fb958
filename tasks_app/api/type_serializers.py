"""How task types look through the API, and what an operator may change on one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks_app.api.serializers import JSONObjectField
from tasks_app.conf import conf
from tasks_app.models import TaskScope


class BackoffSerializer(serializers.Serializer):
    base = serializers.FloatField()
    factor = serializers.FloatField()
    cap = serializers.FloatField()
    jitter = serializers.BooleanField()


class TaskTypeSerializer(serializers.Serializer):
    """A task type (``tasks_app.ops.task_types.TaskTypeInfo``): registered, or an orphan row.

    An orphan has no code, so what only the code knows (scope, timeout, parameters...) is null.
    """

    name = serializers.CharField()
    description = serializers.SerializerMethodField()
    enabled = serializers.BooleanField(
        help_text="The operator's switch: a disabled type cannot be submitted or started."
    )
    registered = serializers.BooleanField(help_text="Code in this server registers the type.")
    is_orphan = serializers.BooleanField(
        help_text="The database references the type but no code registers it: it cannot be "
        "submitted and its schedules are skipped."
    )
    scope = serializers.SerializerMethodField()
    timeout = serializers.SerializerMethodField(help_text="Seconds; null: no timeout.")
    is_abortable = serializers.SerializerMethodField(
        help_text="The type is declared abortable (`@task(abortable=True)`), so a running task "
        "can be aborted. A pending task can always be aborted."
    )
    is_async = serializers.SerializerMethodField()
    permission = serializers.SerializerMethodField(
        help_text="Django permission required to submit, besides the scope."
    )
    max_retries = serializers.SerializerMethodField(help_text="The former name of retries.")
    retries = serializers.SerializerMethodField(
        help_text="Further attempts after a failed one (retry_on errors, ctx.retry(), lost "
        "workers); aborts, timeouts and disabled types are never retried."
    )
    retry_on = serializers.SerializerMethodField(help_text="Exception classes that earn a retry.")
    backoff = serializers.SerializerMethodField(
        help_text="Wait before retry n: base * factor ** (n - 1) seconds, at most cap; with "
        "jitter, a random time between half of that and all of it."
    )
    parameters_schema = serializers.SerializerMethodField(
        help_text="JSON Schema of the parameters, derived from the function's signature."
    )

    def get_description(self, info) -> str:
        if info.definition is not None:
            return info.definition.description
        return info.row.description if info.row is not None else ""

    @extend_schema_field(serializers.ChoiceField(choices=TaskScope.choices, allow_null=True))
    def get_scope(self, info) -> str | None:
        return info.definition.scope if info.definition else None

    def get_timeout(self, info) -> int | None:
        if info.definition is None:
            return None
        return info.definition.timeout or conf.DEFAULT_TIMEOUT

    def get_is_abortable(self, info) -> bool:
        return info.definition is not None and info.definition.abortable

    def get_is_async(self, info) -> bool | None:
        return info.definition.is_async if info.definition else None

    def get_permission(self, info) -> str | None:
        return info.definition.permission if info.definition else None

    def get_max_retries(self, info) -> int | None:
        return info.definition.max_retries if info.definition else None

    def get_retries(self, info) -> int | None:
        return info.definition.retries if info.definition else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_retry_on(self, info) -> list[str] | None:
        if info.definition is None:
            return None
        return [f"{c.__module__}.{c.__qualname__}" for c in info.definition.retry_on]

    @extend_schema_field(BackoffSerializer(allow_null=True))
    def get_backoff(self, info) -> dict[str, Any] | None:
        if info.definition is None:
            return None
        return BackoffSerializer(info.definition.backoff).data

    @extend_schema_field(JSONObjectField(allow_null=True))
    def get_parameters_schema(self, info) -> dict[str, Any] | None:
        return info.definition.signature.json_schema() if info.definition else None


class TaskTypePatchSerializer(serializers.Serializer):
    """What a task type lets staff change: only ``enabled``; any other field is refused."""

    enabled = serializers.BooleanField(help_text="false: refuse new submits and pending starts.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Why, for the audit trail."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Refused, not ignored: a client must not believe it changed a field that stays put.
        extra = sorted(set(self.initial_data) - set(self.fields))
        if extra:
            raise serializers.ValidationError(
                {name: ["Read-only: only enabled can be changed."] for name in extra}
            )
        return attrs
