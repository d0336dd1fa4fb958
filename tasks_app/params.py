"""Parameters of a task function: read from its signature, checked at submit time.

A parameter annotated with an injectable framework type (``TaskContext``, the state
stores: see :mod:`tasks_app.extensions`) is filled by the runner and never taken from user
input. Every other parameter
comes from the submitted JSON object and is checked against its annotation.
"""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks_app.conf import conf
from tasks_app.exceptions import InvalidInput, InvalidTaskDefinition, ParameterError
from tasks_app.extensions import injected_attribute
from tasks_app.jsonvalues import MAX_DEPTH, Problem, Rule, find_problem, key_rule, utf8_size

_MISSING = object()
_JSON_TYPES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    tuple: "array",
    dict: "object",
    type(None): "null",
}


@dataclass(frozen=True)
class JsonType:
    """The JSON types an annotation accepts; ``None`` means any JSON value."""

    names: frozenset[str] | None
    items: JsonType | None = None
    enum: tuple[Any, ...] | None = None

    def accepts(self, value: Any) -> bool:
        if self.enum is not None:
            return any(value == e and type(value) is type(e) for e in self.enum)
        if self.names is None:
            return True
        if not any(_is_json_type(value, name) for name in self.names):
            return False
        if self.items is not None and isinstance(value, list):
            return all(self.items.accepts(v) for v in value)
        return True

    def describe(self) -> str:
        if self.enum is not None:
            return "one of " + ", ".join(json.dumps(e) for e in self.enum)
        if self.names is None:
            return "any JSON value"
        return " or ".join(sorted(self.names))

    def schema(self) -> dict[str, Any]:
        if self.enum is not None:
            return {"enum": list(self.enum)}
        if self.names is None:
            return {}
        names = sorted(self.names)
        out: dict[str, Any] = {"type": names[0] if len(names) == 1 else names}
        if self.items is not None:
            out["items"] = self.items.schema()
        return out


def _is_json_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    return False


def json_type_of(annotation: Any) -> JsonType:
    """Map a Python annotation to the JSON types it accepts."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return JsonType(None)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return JsonType(None, enum=typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        parts = [json_type_of(a) for a in typing.get_args(annotation)]
        if any(p.names is None for p in parts):
            return JsonType(None)
        names = frozenset[str]().union(*(p.names for p in parts if p.names is not None))
        typed = [p.items for p in parts if p.items is not None]
        return JsonType(names, items=typed[0] if len(typed) == 1 else None)
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        items = json_type_of(args[0]) if len(args) == 1 else None
        return JsonType(frozenset({"array"}), items=items)
    if origin is dict or annotation is dict:
        return JsonType(frozenset({"object"}))
    if annotation in _JSON_TYPES:
        accepted = {_JSON_TYPES[annotation]}
        if annotation is float:
            accepted.add("integer")
        return JsonType(frozenset(accepted))
    raise InvalidTaskDefinition(
        f"Annotation {annotation!r} cannot be checked as JSON; use str, int, float, bool, "
        "list, dict, Literal, a union of these, Any, or an injectable framework type."
    )


@dataclass(frozen=True)
class ParamSpec:
    name: str
    json_type: JsonType
    default: Any = _MISSING

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def schema(self) -> dict[str, Any]:
        out = self.json_type.schema()
        if not self.required:
            out["default"] = self.default
        return out


@dataclass(frozen=True)
class Signature:
    params: tuple[ParamSpec, ...]
    injected: dict[str, str] = field(default_factory=dict)
    """Parameter name -> the context attribute it receives (``""``: the context itself)."""
    accepts_extra: bool = False
    check: Callable[[dict[str, Any]], None] | None = None
    """A further check of parameters that passed the checks above (raises ParameterError):
    for types whose function takes more than the JSON object says (``tasks_app.backends``)."""

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.params},
            "required": [p.name for p in self.params if p.required],
            "additionalProperties": self.accepts_extra,
        }


def read_signature(func: Callable[..., Any]) -> Signature:
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        raise InvalidTaskDefinition(
            f"Annotations of {func.__qualname__} cannot be resolved: {exc}"
        ) from exc
    params: list[ParamSpec] = []
    injected: dict[str, str] = {}
    accepts_extra = False
    for p in inspect.signature(func).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            accepts_extra = True
            continue
        if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            raise InvalidTaskDefinition(
                f"{func.__qualname__}: parameter {p.name!r} must be passable by keyword."
            )
        annotation = hints.get(p.name, inspect.Parameter.empty)
        attribute = injected_attribute(annotation)
        if attribute is not None:
            injected[p.name] = attribute
            continue
        default = p.default if p.default is not inspect.Parameter.empty else _MISSING
        if default is not _MISSING and not _is_json_value(default):
            raise InvalidTaskDefinition(
                f"{func.__qualname__}: default of {p.name!r} is not a JSON value."
            )
        params.append(ParamSpec(p.name, json_type_of(annotation), default))
    return Signature(tuple(params), injected, accepts_extra)


def _is_json_value(value: Any) -> bool:
    return find_problem(value, max_depth=MAX_DEPTH) is None


def _value_message(problem: Problem, name: str, max_depth: int) -> str:
    """What is wrong with the value of parameter ``name``, and where inside it."""
    at = f" (at {problem.where(name)})" if problem.path else ""
    if problem.rule is Rule.NUL:
        return f"must not contain the NUL character{at}."
    if problem.rule is Rule.SURROGATE:
        return f"must be valid Unicode text (no lone surrogate characters){at}."
    if problem.rule is Rule.DEPTH:
        return f"is nested deeper than {max_depth} levels (MAX_PARAMETERS_DEPTH){at}."
    return f"is not a JSON value (NaN, Infinity and non-JSON types are refused){at}."


def _name_message(name: Any) -> str | None:
    """Why ``name`` cannot be a parameter name, or None. Keyed under ``parameters``: a bad
    name cannot name its own error (a lone surrogate could not even be sent back)."""
    rule = key_rule(name)
    if rule is Rule.KEY_TYPE:
        return f"parameter names must be strings, not {type(name).__name__}."
    if rule is Rule.NUL:
        return f"parameter name {name!r} must not contain the NUL character."
    if rule is Rule.SURROGATE:
        return f"parameter name {name!r} must be valid Unicode text (no lone surrogates)."
    return None


def _as_object(parameters: Any) -> dict[str, Any]:
    """``parameters`` if it is a dict whose names are fit strings ({} for None)."""
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise ParameterError({"parameters": "must be a JSON object."})
    for name in parameters:
        message = _name_message(name)
        if message is not None:
            raise ParameterError({"parameters": message})
    return parameters


def check_values(parameters: Any) -> dict[str, Any]:
    """Check that ``parameters`` is a JSON object of fit values, whatever the signature (a
    schedule of a type no code registers is checked this way). Returns it.

    Raises :class:`ParameterError` naming every parameter that is wrong.
    """
    parameters = _as_object(parameters)
    errors = _value_errors(parameters)
    if errors:
        raise ParameterError(errors)
    return parameters


def _value_errors(parameters: dict[str, Any]) -> dict[str, str]:
    max_depth = conf.MAX_PARAMETERS_DEPTH
    errors = {}
    for name, value in parameters.items():
        problem = find_problem(value, max_depth=max_depth)
        if problem is not None:
            errors[name] = _value_message(problem, name, max_depth)
    return errors


def check_size(parameters: dict[str, Any]) -> int:
    """Refuse parameters larger than ``MAX_PARAMETERS_BYTES`` as compact UTF-8 JSON (the
    one measure of every caller: submit, schedules). Returns the size."""
    try:
        size = utf8_size(parameters)
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise InvalidInput("parameters", f"parameters cannot be written as JSON: {exc}") from None
    limit = conf.MAX_PARAMETERS_BYTES
    if size > limit:
        raise InvalidInput("parameters", f"parameters are {size} bytes; the limit is {limit}.")
    return size


def validate(signature: Signature, parameters: Any) -> dict[str, Any]:
    """Check submitted ``parameters`` against ``signature``; return them with defaults filled.

    Raises :class:`ParameterError` naming every parameter that is wrong.
    """
    parameters = _as_object(parameters)
    errors: dict[str, str] = {}
    known = {p.name for p in signature.params}
    for name in parameters:
        if name in signature.injected:
            errors[name] = "is provided by the framework and cannot be submitted."
        elif name not in known and not signature.accepts_extra:
            errors[name] = "unknown parameter."
    for name, message in _value_errors(parameters).items():
        errors.setdefault(name, message)
    out: dict[str, Any] = {}
    for spec in signature.params:
        if spec.name in parameters:
            value = parameters[spec.name]
            if spec.name in errors:
                continue
            if not spec.json_type.accepts(value):
                errors[spec.name] = f"must be {spec.json_type.describe()}, got {_describe(value)}."
                continue
            out[spec.name] = value
        elif spec.required:
            errors[spec.name] = "missing required parameter."
        else:
            out[spec.name] = spec.default
    for name, value in parameters.items():
        if name not in known and name not in errors:
            out[name] = value
    if errors:
        raise ParameterError(errors)
    if signature.check is not None:
        signature.check(out)
    return out


def _describe(value: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _is_json_type(value, name):
            return name
    return type(value).__name__
