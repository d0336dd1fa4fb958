"""GTF settings: one lazy object over the ``GTF = {...}`` dict of the Django settings.

Read values as ``conf.NAME``; they are looked up on every access, so ``override_settings``
takes effect at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Dotted path of the executor class that runs submitted tasks.
    "EXECUTOR": "tasks_app.executors.django_q.DjangoQExecutor",
    # Seconds between the worker's checks for an abort request.
    "ABORT_POLL_INTERVAL": 1.0,
    "ABORT_PUSH": True,
    # Seconds between heartbeats of a running task.
    "HEARTBEAT_INTERVAL": 10.0,
    # A running task whose heartbeat is older than this many seconds is considered lost.
    "STALE_AFTER": 60.0,
    # A pending task older than this many seconds that no queue holds is enqueued again.
    "REQUEUE_PENDING_AFTER": 300.0,
    # Minimum seconds between two progress/payload writes of one task.
    "PROGRESS_THROTTLE": 1.0,
    # Timeout in seconds of a task type that names none (None = no timeout).
    "DEFAULT_TIMEOUT": 3600,
    # Extra seconds Django-Q2's hard timeout allows beyond a task's own timeout.
    "HARD_TIMEOUT_GRACE": 30,
    # Default lifetime of a task state entry, in seconds (None = never expires).
    "TASK_STATE_TTL": 30 * 24 * 3600,
    # Largest serialised state value in bytes of UTF-8 (0 = unlimited).
    "MAX_VALUE_BYTES": 65535,
    # Deepest nesting of a state value.
    "MAX_VALUE_DEPTH": 32,
    # Largest serialised task parameters in bytes of UTF-8.
    "MAX_PARAMETERS_BYTES": 65536,
    # Finished tasks older than this many days are pruned (None = keep).
    "RETENTION_DAYS": 30,
    # Whether tracebacks are shown to staff through the API and admin.
    "EXPOSE_TRACEBACKS": True,
    # Finished tasks are deleted in batches of this many rows.
    "PRUNE_BATCH_SIZE": 1000,
    # Named shell commands that may run as task types: {"name": {"argv": [...], ...}}.
    "SHELL_COMMANDS": {},
    # The whole environment of a shell command (each command's "env" is added on top).
    "SHELL_ENV": {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
    # Bytes of stdout and of stderr a shell command's result keeps (0 = unlimited).
    "SHELL_OUTPUT_LIMIT": 65536,
    # Seconds between SIGTERM and SIGKILL to a shell command's process group on abort.
    "SHELL_KILL_GRACE": 5.0,
    # API resources whose write routes are turned off (405, absent from the schema): a list
    # among "tasks", "task_types", "schedules", "state"; True for all of them.
    "API_READ_ONLY": (),
    # Task center pages: "auto" streams changes (Server-Sent Events) when served over ASGI
    # and polls the API's status endpoint under WSGI; "poll" always polls; "off": reload.
    "WEB_LIVE": "auto",
    # Seconds between two reads of the change feed that serves every open event stream.
    "WEB_FEED_INTERVAL": 0.5,
    # Seconds between two polls of a task's status by a page that cannot stream.
    "WEB_POLL_INTERVAL": 1.0,
    # Seconds an event stream stays open; the browser then resumes it (Last-Event-ID),
    # which checks the login and the tasks' visibility again.
    "WEB_STREAM_SECONDS": 300,
    # Apps whose ``tasks`` module is imported at start-up (None = every installed app).
    "AUTODISCOVER_MODULE": "tasks",
}

IMPORT_STRINGS = {"EXECUTOR"}


class GTFSettings:
    """Lazy view of ``settings.GTF`` with :data:`DEFAULTS` filled in."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown GTF setting {name!r}")
        user = getattr(settings, "GTF", None) or {}
        if not isinstance(user, dict):
            raise ImproperlyConfigured("settings.GTF must be a dict")
        return user.get(name, DEFAULTS[name])

    def import_setting(self, name: str) -> Any:
        """Import the object a dotted-path setting names."""
        path = getattr(self, name)
        try:
            return import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"GTF[{name!r}] = {path!r} cannot be imported: {exc}"
            ) from exc


conf = GTFSettings()
