"""Whether a task type may be submitted or started now: the operator's enabled switch.

For submits the disabled names are read once per ``HEARTBEAT_INTERVAL`` per process (one small
query), not once per submit; a switch in this process takes effect at once, one made in another
process within one heartbeat interval. Starts never use that cache: the start statement itself
reads the switch (:func:`tasks_app.lifecycle.start`), and :func:`start_refusal` reads the table.
"""

from __future__ import annotations

import threading
import time

from tasks_app.conf import conf
from tasks_app.exceptions import TaskTypeDisabled
from tasks_app.models import TaskType


class TypeSwitch:
    """In-process cache of the names of disabled task types."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._disabled: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    def disabled(self) -> frozenset[str]:
        with self._lock:
            if time.monotonic() - self._read_at >= conf.HEARTBEAT_INTERVAL:
                names = TaskType.objects.filter(enabled=False).values_list("name", flat=True)
                self._disabled = frozenset(names)
                self._read_at = time.monotonic()
            return self._disabled

    def invalidate(self) -> None:
        """Read the table again on the next question (after a switch in this process)."""
        with self._lock:
            self._read_at = float("-inf")


switch = TypeSwitch()


def invalidate_on_change(**kwargs: object) -> None:
    """``post_save``/``post_delete`` receiver of :class:`TaskType`: a row saved in this process
    (the service, the admin, a test's ORM write) is read again at once."""
    switch.invalidate()


def is_disabled(name: str) -> bool:
    return name in switch.disabled()


def check_submit(name: str) -> None:
    """Raise :class:`TaskTypeDisabled` (HTTP 409) if the type is disabled."""
    if is_disabled(name):
        raise TaskTypeDisabled(f"Task type {name!r} is disabled.")


def start_refusal(name: str) -> str | None:
    """Why a pending task of this type may not start now, or None: read from the table, since a
    worker's cache may be a heartbeat old."""
    if TaskType.objects.filter(name=name, enabled=False).exists():
        return f"Task type {name!r} was disabled after this task was submitted; it was not started."
    return None
