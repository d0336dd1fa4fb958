"""The one validator and codec of state keys and values (docs/design.md, "State values").

Every write path (REST, running tasks, admin) calls :func:`encode`; every read calls
:func:`decode`. Values are stored as compact JSON text, so what is read is exactly what was
validated, whatever the database's own JSON type would do to it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from state_app.exceptions import InvalidKey, InvalidValue
from tasks_app.conf import conf
from tasks_app.jsonvalues import Problem, Rule, compact_json, find_problem

MAX_KEY_LENGTH = 200
MAX_ASSET_LENGTH = 255
ASSET_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,255}", re.ASCII)


@dataclass(frozen=True)
class Undecodable:
    """What a read returns for a stored text that is not valid JSON (never raised)."""

    raw: str
    """The stored text, as it is."""
    error: str
    """Why it did not decode."""


def validate_key(key: Any) -> str:
    """A state key: 1 to 200 printable characters, without ``/``."""
    if not isinstance(key, str):
        raise InvalidKey("key", "A state key must be a string.")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidKey("key", f"A state key must be 1 to {MAX_KEY_LENGTH} characters long.")
    if "\x00" in key:
        raise InvalidKey("key", "A state key must not contain the NUL character.")
    if not key.isprintable():
        raise InvalidKey("key", "A state key must not contain control or unprintable characters.")
    if "/" in key:
        raise InvalidKey("key", "A state key must not contain '/'.")
    return key


def validate_asset(asset: Any) -> str:
    """An asset name: 1 to 255 ASCII letters, digits or ``_ . - :``."""
    if not isinstance(asset, str) or not ASSET_PATTERN.fullmatch(asset):
        raise InvalidKey(
            "asset",
            f"An asset name must be 1 to {MAX_ASSET_LENGTH} characters of letters, digits "
            "and _ . - : only.",
        )
    return asset


def _at(path: str) -> str:
    return f" (at {path})" if path != "$" else ""


def _invalid(problem: Problem, max_depth: int) -> InvalidValue:
    """The state rule and message for what the walker found."""
    at = _at(problem.where())
    if problem.rule is Rule.KEY_TYPE:
        return InvalidValue("type", f"Object keys must be strings, not {problem.type_name()}{at}.")
    if problem.rule is Rule.NUL:
        what = "Object keys" if problem.in_key else "Strings"
        return InvalidValue("nul", f"{what} must not contain the NUL character{at}.")
    if problem.rule is Rule.SURROGATE:
        return InvalidValue(
            "unicode", f"Strings must be valid Unicode text (no lone surrogate characters){at}."
        )
    if problem.rule is Rule.NAN:
        return InvalidValue("nan", f"NaN and Infinity are not valid JSON numbers{at}.")
    if problem.rule is Rule.DEPTH:
        return InvalidValue(
            "depth", f"The value is nested deeper than {max_depth} levels (MAX_VALUE_DEPTH){at}."
        )
    return InvalidValue(
        "type",
        f"{problem.type_name()} is not a JSON type{at}; use lists, objects, "
        "strings, numbers, booleans or null.",
    )


def encode(value: Any) -> str:
    """Validate ``value`` and return the text to store. Raises :class:`InvalidValue`."""
    if value is None:
        raise InvalidValue(
            "null", "A state value cannot be null at the top level; delete the key instead."
        )
    max_depth = conf.MAX_VALUE_DEPTH
    problem = find_problem(value, max_depth=max_depth)
    if problem is not None:
        raise _invalid(problem, max_depth)
    try:
        text = compact_json(value)
    except ValueError as exc:  # integers beyond Python's digit limit
        raise InvalidValue("number", f"The value cannot be written as JSON: {exc}") from None
    limit = conf.MAX_VALUE_BYTES
    size = len(text.encode("utf-8"))
    if limit and size > limit:
        raise InvalidValue(
            "size",
            f"The value is {size} bytes as JSON; the limit (MAX_VALUE_BYTES) is {limit} bytes.",
        )
    return text


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode(text: str) -> Any:
    """The value stored as ``text``, or :class:`Undecodable` if it is not strict JSON."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except (TypeError, ValueError, RecursionError) as exc:
        return Undecodable(raw=text if isinstance(text, str) else repr(text), error=str(exc))
