"""How a page keeps itself current: the event stream, polling, or not at all."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from tasks_app.conf import conf
from tasks_app.models import TaskStatus
from tasks_app.web.stream import is_streaming_server

# Stands for a task's uuid in URL templates the page's script fills in.
UUID_SLOT = "00000000-0000-4000-8000-000000000000"


def live_mode(request) -> str:
    """``"sse"`` over ASGI, ``"poll"`` under WSGI (or with ``WEB_LIVE = "poll"``), ``"off"``."""
    setting = conf.WEB_LIVE
    if setting == "off":
        return "off"
    if setting == "auto" and is_streaming_server(request):
        return "sse"
    return "poll"


def _api_url(name: str) -> str:
    """A URL of the task API with the uuid slot, or "" where the host did not mount the API."""
    try:
        return reverse(f"tasks_api:{name}", kwargs={"uuid": UUID_SLOT})
    except NoReverseMatch:
        return ""


def live_context(request) -> dict:
    """What the page's script reads from ``data-`` attributes of its root element."""
    mode = live_mode(request)
    status_url = _api_url("task-status")
    if mode == "poll" and not status_url:
        mode = "off"  # nothing to poll: the page says to reload
    return {
        "live_mode": mode,
        "live_events_url": reverse("tasks_web:task-events"),
        "live_status_url": status_url,
        "live_task_url": _api_url("task-detail"),
        "live_poll_ms": int(float(conf.WEB_POLL_INTERVAL) * 1000),
        "live_uuid_slot": UUID_SLOT,
        "status_labels": {value: str(label) for value, label in TaskStatus.choices},
    }
