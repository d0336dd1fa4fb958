"""JSON values fit to store and to send: one walker finds what makes a value unfit, with
where it is, and one makes a task's return value fit without losing what it was.

Fit means: lists, dicts with string keys, strings, finite numbers, booleans and null; no NUL
character in a string or key (PostgreSQL refuses it in text and JSON); no lone surrogate (it is
not Unicode text: no UTF-8 encoder, database driver or JSON renderer writes it); at most
``max_depth`` nested lists and dicts. The walks are iterative, so no value, however deep or
self-referencing, makes them raise ``RecursionError``; JSON text is parsed only once its
nesting, measured without parsing, is within a bound (:func:`parse`).
"""

from __future__ import annotations

import enum
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from math import isfinite
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
    if isinstance(value, str):
        return text_rule(value)
    if value is None or isinstance(value, int):  # bool included
        return None
    if isinstance(value, float):
        return None if isfinite(value) else Rule.NAN
    return Rule.TYPE


def _fit_keys(mapping: dict) -> bool:
    try:
        keys = "".join(mapping)  # one check for all keys; a key that is not text raises
    except TypeError:
        return False
    return "\x00" not in keys and (keys.isascii() or _SURROGATE.search(keys) is None)


def _is_fit(value: list | dict, max_depth: int) -> bool:
    """Whether a list or dict is fit, found fast in no particular order."""
    stack = [(value, 0)]
    while stack:
        container, depth = stack.pop()
        if depth >= max_depth:
            return False
        if isinstance(container, dict):
            if not _fit_keys(container):
                return False
            children: Iterable[Any] = container.values()
        else:
            children = container
        for child in children:
            kind = type(child)
            if kind is str:
                if "\x00" in child or (not child.isascii() and _SURROGATE.search(child)):
                    return False
            elif kind is int or kind is bool or child is None:
                continue
            elif kind is float:
                if not isfinite(child):
                    return False
            elif kind is list or kind is dict or isinstance(child, list | dict):
                stack.append((child, depth + 1))
            elif _leaf_rule(child) is not None:
                return False
    return True


def _path(link: tuple | None) -> tuple[str | int, ...]:
    parts = []
    while link is not None:
        link, part = link
        parts.append(part)
    return tuple(reversed(parts))


def _items(container: list | dict) -> Any:
    return iter(container.items()) if isinstance(container, dict) else enumerate(container)


def _first_problem(value: list | dict, max_depth: int) -> Problem | None:
    """The first problem in document order, with its path (slower: run once one is known)."""
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


def find_problem(value: Any, *, max_depth: int) -> Problem | None:
    """The first part of ``value`` that is not fit (see the module), or None.

    The outermost list or dict is at depth 0: ``max_depth=1`` allows ``[1]`` but not ``[[1]]``.
    """
    if not isinstance(value, list | dict):
        rule = _leaf_rule(value)
        return None if rule is None else Problem(rule, (), value)
    if max_depth < 1:
        return Problem(Rule.DEPTH, (), value)
    if _is_fit(value, max_depth):  # the common case, without keeping paths
        return None
    return _first_problem(value, max_depth)


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


def _safe_leaf(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value if "\x00" not in value and value.isascii() else _safe_text(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if isfinite(value) else _meta(value)
    return value if _leaf_rule(value) is None else _meta(value)


def _safe_text(text: str) -> Any:
    return text if text_rule(text) is None else _meta(text)


def json_safe(value: Any, *, max_depth: int = RESULT_DEPTH) -> Any:
    """A copy of ``value`` in which each unfit part is replaced by ``{"_type", "_repr"}``
    metadata (a dict with an unfit key as a whole); tuples become lists."""
    if not isinstance(value, list | tuple | dict):
        return _safe_leaf(value)
    holder: list[Any] = [None]
    # Each entry: a list, tuple or dict to copy, the container and slot of the copy, its depth.
    stack: list[tuple[Any, Any, Any, int]] = [(value, holder, 0, 0)]
    while stack:
        source, target, slot, depth = stack.pop()
        if depth >= max_depth:
            target[slot] = _meta(source)
            continue
        if isinstance(source, dict):
            if not _fit_keys(source):
                target[slot] = _meta(source)
                continue
            copy: Any = dict.fromkeys(source)  # keeps the key order
            pairs: Any = source.items()
        else:
            copy = [None] * len(source)
            pairs = enumerate(source)
        target[slot] = copy
        for key, item in pairs:
            kind = type(item)
            # Most leaves are kept as they are: tested inline, without a call.
            if (kind is str and "\x00" not in item and item.isascii()) or (
                kind is int or kind is bool or item is None
            ):
                copy[key] = item
            elif isinstance(item, list | tuple | dict):
                stack.append((item, copy, key, depth + 1))
            else:
                copy[key] = _safe_leaf(item)
    return holder[0]


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text (UTF-8 characters as they are): what sizes are measured
    on. ``value`` must be fit (see :func:`find_problem`). Raises ``ValueError`` for an integer
    too long to write."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def utf8_size(value: Any) -> int:
    """Bytes of :func:`compact_json` in UTF-8."""
    return len(compact_json(value).encode("utf-8"))


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_QUOTE_OR_BRACKET = bytes(b for b in range(256) if b not in b'"[]{}')
_SQUARE = bytes.maketrans(b"{}", b"[]")
_STEP = [0] * 256
_STEP[ord("[")], _STEP[ord("]")] = 1, -1
_PASSES = 16


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
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)  # an escaped quote ends no string
    # Only quotes and brackets are left; "" is an empty string or two strings side by side.
    skeleton = data.translate(None, _NOT_QUOTE_OR_BRACKET).replace(b'""', b"")
    brackets = b"".join(skeleton.split(b'"')[::2]).translate(_SQUARE)  # outside strings
    # Each pass removes the innermost pairs: one level. Shallow documents end here, fast.
    depth = 0
    while depth < _PASSES and b"[]" in brackets:
        brackets = brackets.replace(b"[]", b"")
        depth += 1
    if not brackets:
        return depth > limit
    return depth + max(itertools.accumulate(map(_STEP.__getitem__, brackets))) > limit
