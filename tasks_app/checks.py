"""System checks of GTF: settings, the executor's configuration, orphan task types.

Registered by ``TasksAppConfig.ready()`` from :data:`ALL`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.db import DatabaseError, connections, router

from tasks_app.conf import DEFAULTS, conf, setting_errors
from tasks_app.dispatch import get_executor
from tasks_app.models import Schedule, Task, TaskType
from tasks_app.ops.task_types import orphans_find

# A bad API_READ_ONLY keeps the id it had before every setting was checked.
ERROR_IDS = {"GTF": "gtf.E001", "API_READ_ONLY": "gtf.E002"}


def check_gtf_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each invalid value is an error naming its key; an unknown key is a warning."""
    messages: list[CheckMessage] = [
        Error(message, id=ERROR_IDS.get(name, "gtf.E003"))
        for name, message in sorted(setting_errors().items())
    ]
    user = getattr(settings, "GTF", None)
    if isinstance(user, dict):
        messages += [
            Warning(
                f"settings.GTF has an unknown key {name!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="gtf.W001",
            )
            for name in sorted(set(user) - set(DEFAULTS))
        ]
    timing_valid = not {"STALE_AFTER", "HEARTBEAT_INTERVAL"} & set(setting_errors())
    if timing_valid and conf.STALE_AFTER <= conf.HEARTBEAT_INTERVAL:
        messages.append(
            Error(
                f"GTF['STALE_AFTER'] ({conf.STALE_AFTER} s) must exceed "
                f"GTF['HEARTBEAT_INTERVAL'] ({conf.HEARTBEAT_INTERVAL} s).",
                hint="Otherwise running tasks look lost between two heartbeats.",
                id="gtf.E004",
            )
        )
    return messages


def check_executor(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """What the configured executor finds wrong with its own configuration."""
    if "EXECUTOR" in setting_errors():
        return []
    return get_executor().check()


def check_orphan_task_types(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Types the database references but no code registers.

    Reads the database on purpose (a plain ``manage.py check`` must list orphans); says
    nothing before ``migrate`` or without a reachable database.
    """
    connection = connections[router.db_for_read(TaskType)]
    try:
        tables = set(connection.introspection.table_names())
        if not {TaskType._meta.db_table, Task._meta.db_table, Schedule._meta.db_table} <= tables:
            return []
        orphans = orphans_find()
    except DatabaseError:
        return []
    return [
        Warning(
            f"Task type {o.describe()} is not registered by any code (orphan).",
            hint="Register it again, or delete what references it. Its pending tasks end "
            "FAILURE when a worker starts; its schedules are skipped.",
            obj=o.name,
            id="gtf.W020",
        )
        for o in orphans
    ]


ALL = [check_gtf_settings, check_executor, check_orphan_task_types]
