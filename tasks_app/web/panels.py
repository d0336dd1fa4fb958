"""Sections other apps add to the task page (``state_app`` adds the task's state).

An app declares them on its ``AppConfig``, like its other GTF extensions
(:mod:`tasks_app.extensions`)::

    gtf_task_panels = {"costs": ("billing/task_costs.html", "billing.web.task_costs")}

The page renders the template with the dict ``task_costs(request=..., task=...)`` returns
(as ``panel``), or leaves the section out when it returns None.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[..., dict[str, Any] | None]
    """Called as ``context(request=..., task=...)`` for a task the user may see."""


@functools.cache
def task_panels() -> tuple[Panel, ...]:
    """The declared panels, in the order of ``INSTALLED_APPS``."""
    return tuple(
        Panel(name, template, import_string(path))
        for config in apps.get_app_configs()
        for name, (template, path) in getattr(config, "gtf_task_panels", {}).items()
    )


def panels_for(*, request, task) -> list[dict[str, Any]]:
    shown = []
    for panel in task_panels():
        context = panel.context(request=request, task=task)
        if context is not None:
            shown.append({"name": panel.name, "template": panel.template, "context": context})
    return shown
