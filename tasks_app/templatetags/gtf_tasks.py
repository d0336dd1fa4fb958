"""Template filters of the task pages: durations, JSON, status icons, progress text."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

register = template.Library()

# Shapes beside the colour, so a status never depends on colour alone.
STATUS_ICONS = {
    "PENDING": "○",
    "IN_PROGRESS": "◔",
    "ABORTING": "◌",
    "SUCCESS": "✓",
    "FAILURE": "✕",
    "ABORTED": "■",
    "TIMED_OUT": "⌛",
}


@register.filter
def status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "•")


@register.filter
def duration(seconds: float | None) -> str:
    """``3 h 05 min``, ``4 min 09 s``, ``12.3 s``; empty for None."""
    if seconds is None:
        return ""
    seconds = max(float(seconds), 0.0)
    if seconds < 60:
        return _("%(n)s s") % {"n": floatformat(seconds, -1)}
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.filter
def progress_text(task) -> str:
    """``42% · 21 / 50``, ``42%``, ``21 done`` or empty, as the progress bar's text."""
    percent, current, total = task.progress_percent, task.progress_current, task.progress_total
    parts = []
    if percent is not None:
        parts.append(f"{floatformat(percent, -1)}%")
    if current is not None and total is not None:
        parts.append(f"{floatformat(current, -2)} / {floatformat(total, -2)}")
    elif current is not None:
        parts.append(_("%(n)s done") % {"n": floatformat(current, -2)})
    return " · ".join(parts)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (None removes a key); a change of
    filter goes back to page 1 unless ``page`` is among the changes."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
