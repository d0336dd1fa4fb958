"""System checks of GTF settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from tasks_app.conf import DEFAULTS, conf


@register(Tags.compatibility)
def check_gtf_settings(app_configs=None, **kwargs):
    errors = []
    user = getattr(settings, "GTF", {})
    if not isinstance(user, dict):
        return [Error("settings.GTF must be a dict.", id="gtf.E001")]
    for name in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            Warning(
                f"settings.GTF has an unknown key {name!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="gtf.W001",
            )
        )
    return errors


@register(Tags.compatibility)
def check_api_read_only(app_configs=None, **kwargs):
    """A bad ``API_READ_ONLY`` is refused at start-up, not as a 500 on the first request."""
    from django.core.exceptions import ImproperlyConfigured

    from tasks_app.api.read_only import parse_read_only

    try:
        parse_read_only(conf.API_READ_ONLY)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="gtf.E002")]
    return []


def _cluster_limits() -> tuple[float | None, float]:
    q = getattr(settings, "Q_CLUSTER", {}) or {}
    # Django-Q2's own defaults: no timeout, retry after 60 s.
    return q.get("timeout"), q.get("retry", 60)


@register(Tags.compatibility)
def check_cluster_timeouts(app_configs=None, **kwargs):
    """Django-Q2 re-delivers a job still running after ``retry`` seconds: its best-known pitfall."""
    from tasks_app.registry import registry

    timeout, retry = _cluster_limits()
    messages = []
    if timeout is not None and retry is not None and timeout >= retry:
        messages.append(
            Error(
                f"Q_CLUSTER timeout ({timeout} s) must be smaller than retry ({retry} s).",
                hint="Set Q_CLUSTER['retry'] above the largest task runtime, e.g. timeout + 60; "
                "otherwise Django-Q2 delivers running tasks a second time.",
                id="gtf.E010",
            )
        )
    for definition in registry:
        task_timeout = definition.timeout or conf.DEFAULT_TIMEOUT
        if retry is not None and task_timeout and task_timeout > retry:
            messages.append(
                Warning(
                    f"Task type {definition.name!r} may run {task_timeout} s, longer than "
                    f"Q_CLUSTER retry ({retry} s).",
                    hint="Raise Q_CLUSTER['retry'] (and 'timeout') above the task's timeout, or "
                    "lower the task's timeout. GTF will not run it twice, but the broker will "
                    "deliver it again.",
                    id="gtf.W011",
                )
            )
    return messages


@register(Tags.compatibility)
def check_orphan_task_types(app_configs=None, **kwargs):
    """Types the database references but no code registers.

    Reads the database on purpose (a plain ``manage.py check`` must list orphans); says
    nothing before ``migrate`` or without a reachable database.
    """
    from django.db import DatabaseError, connections, router

    from tasks_app.models import Schedule, Task, TaskType
    from tasks_app.types import orphans_find

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
