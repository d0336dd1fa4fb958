"""JSON values fit to store and to send: one walker finds what makes a value unfit, with
where it is, and one makes a task's return value fit without losing what it was.

Fit means: lists, dicts with string keys, strings, finite numbers, booleans and null; no NUL
character in a string or key (PostgreSQL refuses it in text and JSON); no lone surrogate (it is
not Unicode text: no UTF-8 encoder, database driver or JSON renderer writes it); at most
``max_depth`` nested lists and dicts. Both walks are iterative, so no value, however deep or
self-referencing, makes them raise ``RecursionError``.
"""

from __future__ import annotations

import enum
import itertools
import json
import math
import re
from dataclasses import dataclass
from typing import Any

# The deepest nesting any setting may allow: Python's json module, the database drivers and
# the renderers recurse once per level, and must stay far from the interpreter's limit.
MAX_DEPTH = 256
# Nesting a task's result keeps; deeper parts become metadata.
RESULT_DEPTH = 100
MAX_REPR = 1000

_SURROGATE = re.compile("[\\ud800-\\udfff]")


class Rule(enum.StrEnum):
    """What makes a value unfit."""

    NAN = "nan"
    """NaN, Infinity or -Infinity."""
    NUL = "nul"
    """The NUL character in a string or key."""
    SURROGATE = "surrogate"
    """A lone surrogate code point in a string or key."""
    KEY_TYPE = "key_type"
    """An object key that is not a string."""
    TYPE = "type"
    """A value of a type JSON does not have (tuple, set, date, object...)."""
    DEPTH = "depth"
    """A list or dict nested deeper than allowed."""


@dataclass(frozen=True)
class Problem:
    """The first unfit part of a value, in document order."""

    rule: Rule
    path: tuple[str | int, ...]
    """Keys and indexes from the root to the part at fault (for a key: to its object)."""
    culprit: Any
    """The value or key at fault."""
    in_key: bool = False
    """True if an object key is at fault, not a value."""

    def where(self, root: str = "$") -> str:
        """The path as text, e.g. ``$['rows'][3]`` (keys quoted and escaped as Python does)."""
        return root + "".join(f"[{part!r}]" for part in self.path)

    def type_name(self) -> str:
        return type(self.culprit).__name__


def text_rule(text: str) -> Rule | None:
    """The rule a string breaks (NUL or lone surrogate), or None."""
    if "\x00" in text:
        return Rule.NUL
    if not text.isascii() and _SURROGATE.search(text) is not None:
        return Rule.SURROGATE
    return None


def key_rule(key: Any) -> Rule | None:
    """The rule an object key breaks, or None."""
    if not isinstance(key, str):
        return Rule.KEY_TYPE
    return text_rule(key)


def _leaf_rule(value: Any) -> Rule | None:
    """The rule a value that is not a list or dict breaks, or None."""
    kind = type(value)
    if kind is str:
        return text_rule(value)
    if value is None or kind is int or kind is bool:
        return None
    if kind is float:
        return None if math.isfinite(value) else Rule.NAN
    if isinstance(value, str):
        return text_rule(value)
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else Rule.NAN
    return Rule.TYPE


def _items(container: list | dict) -> Any:
    return iter(container.items()) if isinstance(container, dict) else enumerate(container)


def _path(link: tuple | None) -> tuple[str | int, ...]:
    parts = []
    while link is not None:
        link, part = link
        parts.append(part)
    return tuple(reversed(parts))


def find_problem(value: Any, *, max_depth: int) -> Problem | None:
    """The first part of ``value`` that is not fit (see the module), or None.

    The outermost list or dict is at depth 0: ``max_depth=1`` allows ``[1]`` but not ``[[1]]``.
    """
    if not isinstance(value, list | dict):
        rule = _leaf_rule(value)
        return None if rule is None else Problem(rule, (), value)
    if max_depth < 1:
        return Problem(Rule.DEPTH, (), value)
    # Each entry: the container's remaining items, whether it is a dict, its path, its depth.
    stack: list[tuple[Any, bool, tuple | None, int]] = [
        (_items(value), isinstance(value, dict), None, 0)
    ]
    while stack:
        items, is_dict, link, depth = stack[-1]
        for key, child in items:
            if is_dict:
                rule = key_rule(key)
                if rule is not None:
                    return Problem(rule, _path(link), key, in_key=True)
            if isinstance(child, list | dict):
                if depth + 1 >= max_depth:
                    return Problem(Rule.DEPTH, _path((link, key)), child)
                stack.append((_items(child), isinstance(child, dict), (link, key), depth + 1))
                break  # the child's items come next; this container resumes after them
            rule = _leaf_rule(child)
            if rule is not None:
                return Problem(rule, _path((link, key)), child)
        else:
            stack.pop()
    return None


def clean_text(text: str) -> str:
    """``text`` with each NUL and lone surrogate replaced by U+FFFD: storable in any column."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    return text


def _meta(value: Any) -> dict[str, str]:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__, or a structure too deep to print
        text = f"<{type(value).__qualname__} object>"
    return {"_type": clean_text(type(value).__qualname__), "_repr": clean_text(text[:MAX_REPR])}


def json_safe(value: Any, *, max_depth: int = RESULT_DEPTH) -> Any:
    """A copy of ``value`` in which each unfit part is replaced by ``{"_type", "_repr"}``
    metadata (a dict with an unfit key as a whole); tuples become lists."""
    holder: list[Any] = [None]
    # Each entry: the source part, the copy's container and slot to fill, the part's depth.
    stack: list[tuple[Any, Any, Any, int]] = [(value, holder, 0, 0)]
    while stack:
        source, target, slot, depth = stack.pop()
        if isinstance(source, list | tuple):
            if depth >= max_depth:
                target[slot] = _meta(source)
                continue
            copy: list[Any] = [None] * len(source)
            target[slot] = copy
            stack.extend((item, copy, i, depth + 1) for i, item in enumerate(source))
        elif isinstance(source, dict):
            if depth >= max_depth or any(key_rule(k) is not None for k in source):
                target[slot] = _meta(source)
                continue
            mapping = dict.fromkeys(source)  # keeps the key order; values filled below
            target[slot] = mapping
            stack.extend((item, mapping, k, depth + 1) for k, item in source.items())
        else:
            target[slot] = source if _leaf_rule(source) is None else _meta(source)
    return holder[0]


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text (UTF-8 characters as they are): what sizes are measured
    on. ``value`` must be fit (see :func:`find_problem`). Raises ``ValueError`` for an integer
    too long to write."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def utf8_size(value: Any) -> int:
    """Bytes of :func:`compact_json` in UTF-8."""
    return len(compact_json(value).encode("utf-8"))


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse(text: str, *, max_depth: int) -> Any:
    """The value of JSON ``text``, NaN and Infinity included (so that a validator can refuse
    them by name). Raises ``ValueError`` for text that is not JSON or nests deeper than
    ``max_depth``, which is measured first: no text makes the parser recurse too far."""
    if nested_deeper_than(text, max_depth):
        raise ValueError(f"the document is nested deeper than {max_depth} levels.")
    try:
        return json.loads(text)
    except RecursionError:  # not expected within max_depth; a ValueError all the same
        raise ValueError("the document is nested too deeply.") from None


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the lists and objects of JSON ``text`` nest more than ``limit`` levels, found
    without parsing it (brackets inside strings do not count): linear, no recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False  # most bodies: too few brackets to nest that deep
    brackets = _BRACKETS.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit
