"""How tasks, their status, attempts and subscribers look through the API (submit:
``tasks_app.api.submit``; task types: ``tasks_app.api.type_serializers``)."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks_app import rules
from tasks_app.api.links import api_reverse
from tasks_app.api.users import UserRefSerializer, render_user_id
from tasks_app.models import Task, TaskStatus, TaskSubscriber

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


class AwareDateTimeField(serializers.DateTimeField):
    """A date and time with its UTC offset: a bare local time is ambiguous, so it is refused."""

    default_error_messages = {
        "naive": "Give the time zone: Z or an offset such as +02:00.",
        "out_of_range": "Out of the range of times the server can store.",
    }

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            self.fail("out_of_range")


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
    attempts = serializers.URLField()
    rerun = serializers.URLField()


LINKS = {
    "self": "task-detail",
    "status": "task-status",
    "abort": "task-abort",
    "subscribers": "task-subscribers",
    "attempts": "task-attempts",
    "rerun": "task-rerun",
}
_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"


def _user(request: Any) -> Any:
    return getattr(request, "user", None)


def error_of(row: Any, request: Any) -> dict[str, Any] | None:
    """The error of a task or an attempt, its traceback for those who may see it."""
    if not (row.error_message or row.error_type):
        return None
    return {
        "message": row.error_message,
        "type": row.error_type,
        "traceback": row.error_traceback if rules.may_see_traceback(_user(request)) else None,
    }


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
    run_after = serializers.DateTimeField(
        read_only=True, help_text="Not started before this (the next attempt's time after a retry)."
    )
    attempt = serializers.IntegerField(
        read_only=True, help_text="Attempts started so far (see attempts/)."
    )
    rerun_of = serializers.SerializerMethodField(help_text="The task this one reruns, if any.")
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
            "run_after",
            "attempt",
            "rerun_of",
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
            else {"id": render_user_id(creator.pk), "username": creator.get_username()},
            "subscriber_count": self.get_subscriber_count(task),
            "is_subscribed": self.get_is_subscribed(task),
            "run_after": _or_none(when, task.run_after),
            "attempt": task.attempt,
            "rerun_of": self.get_rerun_of(task),
            "links": self.get_links(task),
        }

    @extend_schema_field(TaskErrorSerializer(allow_null=True))
    def get_error(self, task: Task) -> dict[str, Any] | None:
        return error_of(task, self.context.get("request"))

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_rerun_of(self, task: Task) -> str | None:
        if task.rerun_of_id is None:
            return None
        annotated = getattr(task, "rerun_of_uuid", None)  # by the list selector: no query
        if annotated is not None:
            return str(annotated)
        return str(cast(Task, task.rerun_of).uuid)  # rerun_of_id is set

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
                link: api_reverse(request, f"{NAMESPACE}:{name}", {"uuid": _PLACEHOLDER})
                for link, name in LINKS.items()
            }
            # DRF's context is the view's dict (the stubs say Mapping): a cache per response.
            self.context["_link_templates"] = templates  # type: ignore[index]
        uuid = str(task.uuid)
        return {link: url.replace(_PLACEHOLDER, uuid) for link, url in templates.items()}


# Formats as the declared DateTimeFields do, without building them for every response.
_DATETIME = serializers.DateTimeField()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _or_none(represent: Any, value: Any) -> Any:
    return None if value is None else represent(value)


class NoFieldsSerializer(serializers.Serializer):
    """A body with nothing to say (an empty object); any field is refused, not ignored."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        extra = sorted(set(self.initial_data or {}))
        if extra:
            raise serializers.ValidationError({name: ["Unknown field."] for name in extra})
        return attrs


class AttemptSerializer(serializers.Serializer):
    """One attempt of a task (``tasks_app.selectors.AttemptView``)."""

    number = serializers.IntegerField(help_text="1 for the first attempt.")
    status = serializers.ChoiceField(
        choices=TaskStatus.choices,
        help_text="How the attempt ended; the task's status for the current attempt.",
    )
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    worker_id = serializers.SerializerMethodField(help_text="Staff only (host:pid of the worker).")
    error = serializers.SerializerMethodField()
    is_current = serializers.BooleanField(
        help_text="The attempt on the task itself (running, or the one that ended it); the "
        "others ended in a retry."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_worker_id(self, attempt: Any) -> str | None:
        return (
            attempt.worker_id if rules.is_staff_user(_user(self.context.get("request"))) else None
        )

    @extend_schema_field(TaskErrorSerializer(allow_null=True))
    def get_error(self, attempt: Any) -> dict[str, Any] | None:
        return error_of(attempt, self.context.get("request"))


class TaskStatusSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    progress = ProgressSerializer(source="*")


class AbortRequestSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False,
        help_text="Abort a shared task whatever its subscribers "
        "(staff with tasks_app.force_abort_task).",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why, for the audit trail (kept when the abort is an operator action).",
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
