"""GTF settings: the ``GTF = {...}`` dict of the Django settings, typed and validated once.

Read values as ``conf.NAME``: each is of the type :class:`Settings` declares. The dict is read
and checked on first use and again whenever it changes (``override_settings`` included); a bad
value is reported by ``manage.py check`` (``gtf.E003``) and raises ``ImproperlyConfigured``
where it is read, never silently replaced by its default.
"""

from __future__ import annotations

import dataclasses
import threading
import types
import typing
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from tasks_app.jsonvalues import MAX_DEPTH

# API resources whose write routes ``API_READ_ONLY`` can turn off.
API_RESOURCES = frozenset({"tasks", "task_types", "schedules", "state"})


def _setting(
    default: Any, doc: str, *, minimum: float | None = None, maximum: float | None = None
) -> Any:
    return dataclasses.field(
        default=default, metadata={"doc": doc, "minimum": minimum, "maximum": maximum}
    )


def parse_read_only(value: Any) -> frozenset[str]:
    """The resource names a value of ``API_READ_ONLY`` makes read-only."""
    if value is True:
        return API_RESOURCES
    if value is None or value is False:
        return frozenset()
    # A bare string is iterable too: "tasks" would read as five unknown one-letter names.
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"must be True, False or a list of resource names, not {value!r}.")
    names = frozenset(value)
    unknown = sorted(map(str, names - API_RESOURCES))
    if unknown:
        raise ValueError(
            f"names unknown resource(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(API_RESOURCES))}."
        )
    return names


LIVE_MODES = ("auto", "poll", "off")


def parse_live(value: Any) -> str:
    if value not in LIVE_MODES:
        raise ValueError(f"must be one of {', '.join(map(repr, LIVE_MODES))}, not {value!r}.")
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Every GTF setting with its type and default."""

    EXECUTOR: str = _setting(
        "tasks_app.worker.executors.django_q.DjangoQExecutor",
        "Dotted path of the executor class that runs submitted tasks.",
    )
    ABORT_POLL_INTERVAL: float = _setting(
        1.0, "Seconds between a worker's checks for abort requests.", minimum=0.01
    )
    ABORT_PUSH: bool = _setting(True, "Wake workers at once on abort (PostgreSQL LISTEN/NOTIFY).")
    HEARTBEAT_INTERVAL: float = _setting(
        10.0, "Seconds between heartbeats of a running task.", minimum=0.01
    )
    STALE_AFTER: float = _setting(
        60.0, "A running task without a heartbeat for this long is lost.", minimum=0.01
    )
    DB_RETRY_FOR: float = _setting(
        300.0,
        "Seconds a worker retries a write when its database connection drops (the final write of "
        "a task, its state reads and writes; progress writes are dropped instead).",
        minimum=0,
    )
    REQUEUE_PENDING_AFTER: float = _setting(
        300.0, "A pending task no queue holds for this long is enqueued again.", minimum=0.01
    )
    PREPARED_STATEMENTS: bool = _setting(
        True,
        "On PostgreSQL, run the hot statements (submit, claim, start) as prepared statements; "
        "False behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).",
    )
    PROGRESS_THROTTLE: float = _setting(
        1.0, "Minimum seconds between two progress/payload writes of one task.", minimum=0
    )
    DEFAULT_TIMEOUT: int | None = _setting(
        3600, "Timeout in seconds of a task type that names none (None: none).", minimum=1
    )
    HARD_TIMEOUT_GRACE: int = _setting(
        30, "Extra seconds the executor's hard timeout allows beyond a task's own.", minimum=0
    )
    TASK_STATE_TTL: int | None = _setting(
        30 * 24 * 3600,
        "Default lifetime of a task state entry in seconds (None: never).",
        minimum=1,
    )
    MAX_VALUE_BYTES: int = _setting(
        65535, "Largest state value in bytes of UTF-8 JSON (0: unlimited).", minimum=0
    )
    MAX_VALUE_DEPTH: int = _setting(
        32, "Deepest nesting of a state value.", minimum=1, maximum=MAX_DEPTH
    )
    MAX_PARAMETERS_BYTES: int = _setting(
        65536, "Largest task parameters in bytes of UTF-8 JSON.", minimum=2
    )
    MAX_PARAMETERS_DEPTH: int = _setting(
        32, "Deepest nesting of one task parameter's value.", minimum=1, maximum=MAX_DEPTH
    )
    RETENTION_DAYS: int | None = _setting(
        30, "Finished tasks older than this many days are pruned (None: keep).", minimum=1
    )
    EXPOSE_TRACEBACKS: bool = _setting(True, "Show tracebacks to staff (API, admin, pages).")
    PRUNE_BATCH_SIZE: int = _setting(1000, "Rows deleted per pruning transaction.", minimum=1)
    SHELL_COMMANDS: dict[str, Any] = _setting(
        dataclasses.MISSING, "Shell commands that may run as task types: {name: argv or spec}."
    )
    SHELL_ENV: dict[str, str] = _setting(
        dataclasses.MISSING, "The whole environment of a shell command (its own env on top)."
    )
    SHELL_OUTPUT_LIMIT: int = _setting(
        65536, "Bytes of stdout and of stderr a shell result keeps (0: unlimited).", minimum=0
    )
    SHELL_KILL_GRACE: float = _setting(
        5.0, "Seconds between SIGTERM and SIGKILL of a shell command's group.", minimum=0
    )
    API_READ_ONLY: frozenset[str] = _setting(
        frozenset(), "API resources whose writes are off: a list of names or True for all."
    )
    WEB_LIVE: str = _setting(
        "auto",
        'Task center pages: "auto" streams changes (Server-Sent Events) under ASGI and polls '
        'the status endpoint under WSGI, "poll" always polls, "off" reloads only.',
    )
    WEB_FEED_INTERVAL: float = _setting(
        0.5, "Seconds between two reads of the change feed serving open streams.", minimum=0.05
    )
    WEB_POLL_INTERVAL: float = _setting(
        1.0, "Seconds between two status polls of a page that cannot stream.", minimum=0.1
    )
    WEB_STREAM_SECONDS: float = _setting(
        300.0, "Seconds an event stream stays open before the browser resumes it.", minimum=0.1
    )
    LIST_COUNT_CAP: int = _setting(
        10000, "Task lists count exactly up to this many rows; beyond it they estimate.", minimum=1
    )
    AUTODISCOVER_MODULE: str | None = _setting(
        "tasks", "Module of each installed app imported at start-up (None: none)."
    )


# Defaults that are mutable cannot sit in the dataclass; they are filled in here.
_MUTABLE_DEFAULTS: dict[str, Any] = {
    "SHELL_COMMANDS": {},
    "SHELL_ENV": {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
}
FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
DEFAULTS: dict[str, Any] = {
    name: _MUTABLE_DEFAULTS.get(name, f.default) for name, f in FIELDS.items()
}
_HINTS = typing.get_type_hints(Settings)
_CUSTOM = {"API_READ_ONLY": parse_read_only, "WEB_LIVE": parse_live}


def _check_type(name: str, value: Any) -> Any:
    hint = _HINTS[name]
    if isinstance(hint, types.UnionType):  # "X | None"
        if value is None:
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    base = typing.get_origin(hint) or hint
    if base is float and isinstance(value, int | float) and not isinstance(value, bool):
        value = float(value)
    elif base is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"must be a whole number, not {value!r}.")
    elif not isinstance(value, base):
        raise ValueError(f"must be a {base.__name__}, not {value!r}.")
    minimum = FIELDS[name].metadata["minimum"]
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {minimum}, not {value!r}.")
    maximum = FIELDS[name].metadata["maximum"]
    if maximum is not None and value > maximum:
        raise ValueError(f"must be at most {maximum}, not {value!r}.")
    return value


def load(user: Any) -> tuple[Settings, dict[str, str]]:
    """Settings from the user's dict, and an error message per key that is invalid (those
    keys keep their defaults in the returned object)."""
    if user is None:
        user = {}
    if not isinstance(user, dict):
        return Settings(**DEFAULTS), {"GTF": "settings.GTF must be a dict."}
    values, errors = dict(DEFAULTS), {}
    for name, value in user.items():
        if name not in FIELDS:
            continue  # reported by the check as a warning: a typo must not stop the site
        try:
            values[name] = _CUSTOM[name](value) if name in _CUSTOM else _check_type(name, value)
        except ValueError as exc:
            errors[name] = f"GTF[{name!r}] {exc}"
    return Settings(**values), errors


class LazySettings:
    """``conf``: the current :class:`Settings`, read again after ``settings.GTF`` changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: tuple[Settings, dict[str, str]] | None = None

    def _current(self) -> tuple[Settings, dict[str, str]]:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                loaded = self._loaded = load(getattr(settings, "GTF", None))
        return loaded

    def __getattr__(self, name: str) -> Any:
        if name not in FIELDS:
            raise AttributeError(f"Unknown GTF setting {name!r}")
        values, errors = self._current()
        if name in errors or "GTF" in errors:
            raise ImproperlyConfigured(errors.get(name) or errors["GTF"])
        return getattr(values, name)

    def errors(self) -> dict[str, str]:
        return dict(self._current()[1])

    def reload(self) -> None:
        self._loaded = None


conf = cast(Settings, LazySettings())
"""Typed view of ``settings.GTF``: ``conf.HEARTBEAT_INTERVAL`` is a float, and so on."""


def setting_errors() -> dict[str, str]:
    """Invalid keys of ``settings.GTF`` with their messages (for the system check)."""
    return cast(LazySettings, conf).errors()


def import_setting(name: str) -> Any:
    """Import the object a dotted-path setting names."""
    path = getattr(conf, name)
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"GTF[{name!r}] = {path!r} cannot be imported: {exc}") from exc


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "GTF":
        cast(LazySettings, conf).reload()


setting_changed.connect(_reload, dispatch_uid="gtf_conf_reload")
