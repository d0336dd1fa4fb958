"""How tasks, subscribers and task types look through the API, and what submit accepts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from tasks_app.conf import conf
from tasks_app.models import Task, TaskScope, TaskStatus, TaskSubscriber
from tasks_app.services import MAX_KEY_LENGTH, MAX_TIMEOUT

# Namespace of this package's url patterns (see ``tasks_app.api.urls``).
NAMESPACE = "tasks_api"


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (dict), passed on as parsed: the services check its values (NaN, NUL,
    depth, size) and name the key at fault."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            self.fail("not_object")
        return data


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.CharField(source="get_username", read_only=True)


class ProgressSerializer(serializers.Serializer):
    current = serializers.FloatField(source="progress_current", allow_null=True, read_only=True)
    total = serializers.FloatField(source="progress_total", allow_null=True, read_only=True)
    percent = serializers.FloatField(source="progress_percent", allow_null=True, read_only=True)


class TaskErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    traceback = serializers.CharField(
        allow_null=True, help_text="Shown to staff only, when GTF['EXPOSE_TRACEBACKS'] is on."
    )


class TaskLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    status = serializers.URLField()
    abort = serializers.URLField()
    subscribers = serializers.URLField()


LINKS = {
    "self": "task-detail",
    "status": "task-status",
    "abort": "task-abort",
    "subscribers": "task-subscribers",
}
_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def may_see_tracebacks(request) -> bool:
    user = getattr(request, "user", None)
    return bool(conf.EXPOSE_TRACEBACKS and user is not None and user.is_staff)


class TaskSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="task_type", read_only=True)
    key = serializers.CharField(source="task_key", read_only=True)
    name = serializers.CharField(source="task_name", read_only=True)
    parameters = JSONObjectField(read_only=True)
    payload = JSONObjectField(read_only=True)
    result = serializers.JSONField(read_only=True, help_text="Any JSON value, null until it ends.")
    progress = ProgressSerializer(source="*", read_only=True)
    error = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    subscriber_count = serializers.SerializerMethodField()
    is_subscribed = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "uuid",
            "type",
            "key",
            "name",
            "scope",
            "status",
            "parameters",
            "payload",
            "result",
            "progress",
            "is_abortable",
            "error",
            "created_at",
            "updated_at",
            "started_at",
            "ended_at",
            "timeout",
            "duration_seconds",
            "created_by",
            "subscriber_count",
            "is_subscribed",
            "links",
        ]
        read_only_fields = fields

    def to_representation(self, task: Task) -> dict[str, Any]:
        """The fields declared above, built in one go: DRF's walk over them cost five times
        as much per row of a list page. The declared fields stay the schema (the tests check
        every answer against it) and the reference this equals (tests/tasks_app/api)."""
        when = _DATETIME.to_representation
        creator = task.created_by
        return {
            "uuid": str(task.uuid),
            "type": task.task_type,
            "key": task.task_key,
            "name": task.task_name,
            "scope": str(task.scope),
            "status": str(task.status),
            "parameters": task.parameters,
            "payload": task.payload,
            "result": task.result,
            "progress": {
                "current": _float(task.progress_current),
                "total": _float(task.progress_total),
                "percent": _float(task.progress_percent),
            },
            "is_abortable": bool(task.is_abortable),
            "error": self.get_error(task),
            "created_at": _or_none(when, task.created_at),
            "updated_at": _or_none(when, task.updated_at),
            "started_at": _or_none(when, task.started_at),
            "ended_at": _or_none(when, task.ended_at),
            "timeout": task.timeout,
            "duration_seconds": _float(task.duration_seconds),
            "created_by": None
            if creator is None
            else {"id": creator.pk, "username": creator.get_username()},
            "subscriber_count": self.get_subscriber_count(task),
            "is_subscribed": self.get_is_subscribed(task),
            "links": self.get_links(task),
        }

    @extend_schema_field(TaskErrorSerializer(allow_null=True))
    def get_error(self, task: Task) -> dict[str, Any] | None:
        if not (task.error_message or task.error_type):
            return None
        request = self.context.get("request")
        return {
            "message": task.error_message,
            "type": task.error_type,
            "traceback": task.error_traceback if may_see_tracebacks(request) else None,
        }

    def get_subscriber_count(self, task: Task) -> int:
        count = getattr(task, "subscriber_count", None)  # annotated by the list selector
        return count if count is not None else task.subscribers.count()

    def get_is_subscribed(self, task: Task) -> bool:
        subscribed = getattr(task, "is_subscribed", None)
        if subscribed is None:
            user = getattr(self.context.get("request"), "user", None)
            subscribed = bool(
                user is not None
                and user.is_authenticated
                and task.subscribers.filter(user_id=user.pk).exists()
            )
        return bool(subscribed)

    @extend_schema_field(TaskLinksSerializer)
    def get_links(self, task: Task) -> dict[str, str]:
        # URL patterns are resolved once per response, not four times per row.
        templates = self.context.get("_link_templates")
        if templates is None:
            request = self.context.get("request")
            templates = {
                link: reverse(f"{NAMESPACE}:{name}", kwargs={"uuid": _PLACEHOLDER}, request=request)
                for link, name in LINKS.items()
            }
            self.context["_link_templates"] = templates
        uuid = str(task.uuid)
        return {link: url.replace(_PLACEHOLDER, uuid) for link, url in templates.items()}


# Formats as the declared DateTimeFields do, without building them for every response.
_DATETIME = serializers.DateTimeField()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _or_none(represent: Any, value: Any) -> Any:
    return None if value is None else represent(value)


class TaskSubmitSerializer(serializers.Serializer):
    task_type = serializers.CharField(max_length=200, help_text="A registered task type.")
    task_key = serializers.CharField(
        max_length=MAX_KEY_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Dedup key: one active task per type, key and scope. None: no dedup.",
    )
    scope = serializers.ChoiceField(
        choices=TaskScope.choices,
        required=False,
        allow_null=True,
        help_text="Default: the type's scope.",
    )
    task_name = serializers.CharField(
        max_length=MAX_KEY_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
    )
    parameters = JSONObjectField(
        required=False, help_text="Keyword arguments of the task function, checked at submit."
    )
    timeout = serializers.IntegerField(
        min_value=1, max_value=MAX_TIMEOUT, required=False, allow_null=True
    )


class TaskStatusSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    progress = ProgressSerializer(source="*")


class AbortRequestSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False, help_text="Staff only: abort a shared task whatever its subscribers."
    )


class AbortResultSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["aborted", "unsubscribed"])
    task = TaskSerializer()


class SubscriberSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)

    class Meta:
        model = TaskSubscriber
        fields = ["user", "subscribed_at"]
        read_only_fields = fields


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
    max_retries = serializers.SerializerMethodField()
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

    @extend_schema_field({"type": ["object", "null"], "additionalProperties": True})
    def get_parameters_schema(self, info) -> dict[str, Any] | None:
        return info.definition.signature.json_schema() if info.definition else None


class TaskTypePatchSerializer(serializers.Serializer):
    """What a task type lets staff change: only ``enabled``; any other field is refused."""

    enabled = serializers.BooleanField(help_text="false: refuse new submits and pending starts.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Refused, not ignored: a client must not believe it changed a field that stays put.
        extra = sorted(set(self.initial_data) - set(self.fields))
        if extra:
            raise serializers.ValidationError(
                {name: ["Read-only: only enabled can be changed."] for name in extra}
            )
        return attrs
