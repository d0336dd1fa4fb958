"""Links in answers point at the mount that served the request.

The host chooses where GTF's url modules live: any prefix, an instance namespace, a
``<version>`` segment, the same module twice. A link is reversed in the namespace that
served the request, with the values the mount captured (``version``), and moved under the
prefix the request came in by.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

# What GTF's own routes capture; anything else in a match was captured by the host's mount.
ROUTE_KWARGS = frozenset({"uuid", "name", "pk", "task_uuid", "key", "asset", "format"})


def mount_kwargs(request: Any) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    return {k: v for k, v in match.kwargs.items() if k not in ROUTE_KWARGS}


def _full_name(match: Any, name: str) -> str:
    # "tasks_api:task-detail" served under "v1:tasks_api" is "v1:tasks_api:task-detail".
    parents = match.namespaces[:-1] if match.namespaces else []
    return ":".join([*parents, name])


def _served_prefix(match: Any, path: str) -> tuple[str, str] | None:
    """(prefix Django reverses to, prefix the request used) when they differ: the same url
    module mounted twice under one namespace reverses to one of them only."""
    try:
        here = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    except NoReverseMatch:
        return None
    if here == path:
        return None
    common = 0
    while common < min(len(here), len(path)) and here[-1 - common] == path[-1 - common]:
        common += 1
    return here[: len(here) - common], path[: len(path) - common]


def api_reverse(request: Any, name: str, kwargs: dict[str, Any] | None = None) -> str:
    """Absolute URL of ``name`` (``app_namespace:url_name``) under the mount of ``request``.

    Raises ``NoReverseMatch`` when that route is not mounted at all.
    """
    match = getattr(request, "resolver_match", None)
    if match is None:
        url = reverse(name, kwargs=kwargs)
        return request.build_absolute_uri(url) if request is not None else url
    url = reverse(
        _full_name(match, name),
        kwargs={**mount_kwargs(request), **(kwargs or {})},
        current_app=match.namespace,
    )
    same_module = match.app_names[-1:] == name.split(":")[:1]
    moved = _served_prefix(match, request.path) if same_module else None
    if moved is not None and url.startswith(moved[0]):
        url = moved[1] + url[len(moved[0]) :]
    return request.build_absolute_uri(url)
