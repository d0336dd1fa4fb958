"""Make a task's return value storable as JSON without losing what it was."""

from __future__ import annotations

import math
from typing import Any

MAX_REPR = 1000


def _meta(value: Any) -> dict[str, str]:
    text = repr(value)
    return {"_type": type(value).__qualname__, "_repr": text[:MAX_REPR]}


def json_safe(value: Any, _depth: int = 0) -> Any:
    """Return ``value`` unchanged if it is JSON; otherwise replace each part that is not
    with ``{"_type", "_repr"}`` metadata."""
    if isinstance(value, str):
        # PostgreSQL cannot store NUL in JSON or text.
        return value if "\x00" not in value else _meta(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _meta(value)
    if _depth > 100:
        return _meta(value)
    if isinstance(value, list | tuple):
        return [json_safe(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and "\x00" not in k for k in value):
            return {k: json_safe(v, _depth + 1) for k, v in value.items()}
        return _meta(value)
    return _meta(value)


def clean_text(text: str) -> str:
    """Text safe for any database column (no NUL)."""
    return text.replace("\x00", "\ufffd")
