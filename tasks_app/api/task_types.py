"""Facts about a registered task type that the registry does not record."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # nested functions, lambdas, comprehensions
            names |= _names(const)
    return names


def registers_abort_handler(func: Callable[..., Any]) -> bool:
    """Whether ``func`` calls ``on_abort`` in its own body (a static reading of its code).

    An abort handler is what makes a running task abortable; the registry cannot know it
    before the task runs, so the task-types API reads it from the function's code.
    """
    code = getattr(inspect.unwrap(func), "__code__", None)
    return code is not None and "on_abort" in _names(code)
