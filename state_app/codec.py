"""The one validator and codec of state keys and values.

Every write path (REST, running tasks, admin) calls :func:`encode`; every read calls
:func:`decode`. Values are stored as compact JSON text, so what is read is exactly what was
validated, whatever the database's own JSON type would do to it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from state_app.exceptions import InvalidKey, InvalidValue
from tasks_app.conf import conf

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


def _check(value: Any, path: str, depth: int, max_depth: int) -> None:
    """Walk the value; raise :class:`InvalidValue` at the first rule it breaks."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidValue("nul", f"Strings must not contain the NUL character{_at(path)}.")
        return
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue("nan", f"NaN and Infinity are not valid JSON numbers{_at(path)}.")
        return
    if isinstance(value, list | dict):
        if depth >= max_depth:
            raise InvalidValue(
                "depth",
                f"The value is nested deeper than {max_depth} levels (MAX_VALUE_DEPTH){_at(path)}.",
            )
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check(item, f"{path}[{i}]", depth + 1, max_depth)
            return
        for k, item in value.items():
            if not isinstance(k, str):
                raise InvalidValue(
                    "type", f"Object keys must be strings, not {type(k).__name__}{_at(path)}."
                )
            if "\x00" in k:
                raise InvalidValue(
                    "nul", f"Object keys must not contain the NUL character{_at(path)}."
                )
            _check(item, f"{path}[{k!r}]", depth + 1, max_depth)
        return
    raise InvalidValue(
        "type",
        f"{type(value).__name__} is not a JSON type{_at(path)}; use lists, objects, "
        "strings, numbers, booleans or null.",
    )


def encode(value: Any) -> str:
    """Validate ``value`` and return the text to store. Raises :class:`InvalidValue`."""
    if value is None:
        raise InvalidValue(
            "null", "A state value cannot be null at the top level; delete the key instead."
        )
    _check(value, "$", 0, conf.MAX_VALUE_DEPTH)
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidValue(
            "unicode", "Strings must be valid Unicode text (no lone surrogate characters)."
        ) from None
    except ValueError as exc:  # integers beyond Python's digit limit
        raise InvalidValue("number", f"The value cannot be written as JSON: {exc}") from None
    limit = conf.MAX_VALUE_BYTES
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
