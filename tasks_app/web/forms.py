"""Submit forms: the options every task takes, and fields made from a type's parameters.

The fields only turn text into JSON values; whether the values fit the task is decided by
``services.task_submit``, whose errors are shown on the fields they name.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tasks_app.models import TaskScope
from tasks_app.params import ParamSpec, Signature
from tasks_app.registry import TaskDefinition
from tasks_app.services import MAX_KEY_LENGTH, MAX_TIMEOUT

PARAMETER_PREFIX = "p"


class SubmitOptionsForm(forms.Form):
    task_key = forms.CharField(
        label=_("Key"),
        required=False,
        max_length=MAX_KEY_LENGTH,
        strip=False,
        help_text=_(
            "Tasks of this type with the same key and scope run once: a second submit joins "
            "the active task. Empty: always a new task."
        ),
    )
    task_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=MAX_KEY_LENGTH,
        strip=False,
        help_text=_("Shown in lists instead of the key."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        help_text=_(
            "Private: only you see it. Shared: whoever submits the same key joins it. "
            "System: staff only."
        ),
    )
    timeout = forms.IntegerField(
        label=_("Timeout (seconds)"),
        required=False,
        min_value=1,
        max_value=MAX_TIMEOUT,
        help_text=_("Empty: the type's timeout."),
    )

    def __init__(self, *args, definition: TaskDefinition, user, **kwargs):
        super().__init__(*args, **kwargs)
        scopes = [TaskScope.PRIVATE, TaskScope.SHARED]
        if user.is_staff:
            scopes.append(TaskScope.SYSTEM)
        scope = cast(forms.ChoiceField, self.fields["scope"])
        scope.choices = [(s.value, s.label) for s in scopes]
        scope.initial = definition.scope

    def options(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "task_key": data["task_key"] or None,
            "task_name": data["task_name"] or None,
            "scope": data["scope"],
            "timeout": data["timeout"],
        }


class JSONValueField(forms.JSONField):
    """Any JSON value typed as JSON text; empty means "not given"."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def prepare_value(self, value):
        if value is None:
            return ""  # shown empty: the default applies
        if isinstance(value, forms.fields.InvalidJSONInput):
            return super().prepare_value(value)
        return json.dumps(value, ensure_ascii=False)


def _choice_label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def field_for(spec: ParamSpec) -> forms.Field:
    """A form field for one parameter, by its JSON type."""
    kind = spec.json_type
    given: dict[str, Any] = {} if spec.required else {"initial": spec.default}
    help_parts = [kind.describe()]
    if not spec.required:
        help_parts.append(_("default: %(default)s") % {"default": json.dumps(spec.default)})
    common: dict[str, Any] = {
        "label": spec.name,
        "help_text": "; ".join(str(p) for p in help_parts),
    }
    if kind.enum is not None:
        choices = [(json.dumps(v), _choice_label(v)) for v in kind.enum]
        if not spec.required:
            given = {"initial": json.dumps(spec.default)}
        return forms.TypedChoiceField(
            choices=choices, coerce=json.loads, required=spec.required, **common, **given
        )
    names = set(kind.names) - {"null"} if kind.names is not None else None
    if names == {"boolean"}:
        # A checkbox always answers: unchecked is false, whatever the default.
        return forms.BooleanField(required=False, **common, **given)
    if names == {"integer"}:
        return forms.IntegerField(required=spec.required, **common, **given)
    if names == {"integer", "number"}:
        return forms.FloatField(required=spec.required, **common, **given)
    if names == {"string"}:
        return forms.CharField(required=spec.required, strip=False, **common, **given)
    return JSONValueField(required=spec.required, **common, **given)


class ParametersForm(forms.Form):
    """Fields made from a signature; :meth:`parameters` is what ``task_submit`` takes."""

    def __init__(self, *args, signature: Signature, **kwargs):
        kwargs.setdefault("prefix", PARAMETER_PREFIX)
        super().__init__(*args, **kwargs)
        self.specs = {spec.name: spec for spec in signature.params}
        for spec in signature.params:
            self.fields[spec.name] = field_for(spec)

    def parameters(self) -> dict[str, Any]:
        out = {}
        for name, value in self.cleaned_data.items():
            field = self.fields[name]
            if isinstance(field, forms.BooleanField):
                out[name] = bool(value)
            elif value not in (None, "") or self.specs[name].required:
                out[name] = value
        return out

    def add_service_error(self, name: str, message: str) -> None:
        """Show an error of ``task_submit`` on the parameter it names (else on the form)."""
        if name in self.fields:
            self.add_error(name, message)
        else:
            self.add_error(None, f"{name}: {message}")
