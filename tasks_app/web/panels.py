"""Sections other apps add to the task page (``state_app`` adds the task's state).

An app appends a :class:`Panel` to :data:`DETAIL_PANELS` in its ``AppConfig.ready()``; the
page renders ``panel.template`` with the dict ``panel.context`` returns, or skips the panel
when it returns None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    name: str
    """Unique name; appending a panel of a name already there replaces nothing."""
    template: str
    context: Callable[..., dict[str, Any] | None]
    """Called as ``context(request=..., task=...)`` for a task the user may see."""


DETAIL_PANELS: list[Panel] = []


def add_panel(panel: Panel) -> None:
    if all(p.name != panel.name for p in DETAIL_PANELS):
        DETAIL_PANELS.append(panel)


def panels_for(*, request, task) -> list[dict[str, Any]]:
    shown = []
    for panel in DETAIL_PANELS:
        context = panel.context(request=request, task=task)
        if context is not None:
            shown.append({"name": panel.name, "template": panel.template, "context": context})
    return shown
