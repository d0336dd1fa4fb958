"""What installed apps add to GTF, declared as attributes of their ``AppConfig``.

- ``gtf_context = {"state": "app.module.factory"}``: ``ctx.state`` of a running task is
  ``factory(ctx)``.
- ``gtf_injectables = {"app.module.Type": "state"}``: a task parameter annotated ``Type`` gets
  ``ctx.state`` (``""``: the context itself).
- ``gtf_periodic_jobs = [Periodic(...)]``: maintenance jobs the executor's scheduler runs.
- ``gtf_api_root = {"assets": "gtf_state:assets"}``: endpoints the API root lists, by the
  url name of the app's API (left out while the host does not mount it).

Read from the app registry when first needed, so the order of ``INSTALLED_APPS`` and of
``ready()`` calls does not matter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

from tasks_app.dispatch import Periodic


def _declared(attribute: str) -> list[Any]:
    return [getattr(c, attribute) for c in apps.get_app_configs() if hasattr(c, attribute)]


@functools.cache
def context_factories() -> dict[str, Callable[[Any], Any]]:
    """Attribute name -> factory(ctx), for ``ctx.<name>``."""
    return {name: import_string(path) for d in _declared("gtf_context") for name, path in d.items()}


@functools.cache
def injectables() -> dict[type, str]:
    """Type -> the context attribute a parameter annotated with it receives."""
    return {
        import_string(path): attr for d in _declared("gtf_injectables") for path, attr in d.items()
    }


def periodic_jobs() -> list[Periodic]:
    return [job for jobs in _declared("gtf_periodic_jobs") for job in jobs]


def api_root_entries() -> dict[str, str]:
    """Key -> url name of each endpoint the API root lists."""
    return {key: name for d in _declared("gtf_api_root") for key, name in d.items()}


def injected_attribute(annotation: Any) -> str | None:
    """The context attribute a parameter annotated ``annotation`` receives, or None."""
    if isinstance(annotation, type):
        for cls, attribute in injectables().items():
            if issubclass(annotation, cls):
                return attribute
    return None


def clear() -> None:
    """Forget what was read (the app registry changed: tests that install apps)."""
    context_factories.cache_clear()
    injectables.cache_clear()
