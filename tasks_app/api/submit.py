"""What submit accepts through the API, and how the task it created or joined looks."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tasks_app.api.serializers import AwareDateTimeField, JSONObjectField, TaskSerializer
from tasks_app.models import Task, TaskScope
from tasks_app.services import MAX_KEY_LENGTH, MAX_TIMEOUT


def _type_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=200, required=False, **kwargs)


def _label_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=MAX_KEY_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        **kwargs,
    )


# Submit takes the names a task is shown with; the earlier names stay accepted as aliases.
SUBMIT_ALIASES = {"type": "task_type", "key": "task_key", "name": "task_name"}


class TaskSubmitSerializer(serializers.Serializer):
    """What submit accepts; unknown fields are refused, not ignored."""

    type = _type_field(help_text="A registered task type (required; alias: task_type).")
    key = _label_field(
        help_text="Dedup key: one active task per type, key and scope. None: no dedup "
        "(alias: task_key)."
    )
    name = _label_field(help_text="A label shown with the task (alias: task_name).")
    scope = serializers.ChoiceField(
        choices=TaskScope.choices,
        required=False,
        allow_null=True,
        help_text="Default: the type's scope.",
    )
    parameters = JSONObjectField(
        required=False, help_text="Keyword arguments of the task function, checked at submit."
    )
    timeout = serializers.IntegerField(
        min_value=1, max_value=MAX_TIMEOUT, required=False, allow_null=True
    )
    run_after = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="Not started before this time (with its time zone; at most 366 days ahead). "
        "The task is PENDING until then.",
    )
    task_type = _type_field(help_text="Alias of type.")
    task_key = _label_field(help_text="Alias of key.")
    task_name = _label_field(help_text="Alias of name.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        self.sent_as: dict[str, str] = {}
        for name, alias in SUBMIT_ALIASES.items():
            if name in attrs and alias in attrs:
                raise serializers.ValidationError({alias: [f"Send {name} or {alias}, not both."]})
            self.sent_as[alias] = alias if alias in attrs else name
            if alias in attrs:
                attrs[name] = attrs.pop(alias)
        if "type" not in attrs:
            raise serializers.ValidationError({"type": ["This field is required."]})
        return attrs

    def submit_arguments(self) -> dict[str, Any]:
        """The validated body as ``task_submit`` keywords."""
        data: dict[str, Any] = dict(self.validated_data)
        return {SUBMIT_ALIASES.get(name, name): value for name, value in data.items()}


class SubmittedTaskSerializer(TaskSerializer):
    """The task a submit created or joined."""

    parameters_differ = serializers.SerializerMethodField(
        help_text="Joined an active task whose parameters differ from the ones sent: the task "
        "runs with its own (shown in parameters). Always false when the task was created."
    )

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "parameters_differ"]
        read_only_fields = fields

    def to_representation(self, task: Task) -> dict[str, Any]:
        return {
            **super().to_representation(task),
            "parameters_differ": self.get_parameters_differ(task),
        }

    def get_parameters_differ(self, task: Task) -> bool:
        return bool(self.context.get("parameters_differ", False))
