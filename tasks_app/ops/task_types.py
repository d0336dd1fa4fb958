"""Task types at run time: the table mirroring the registry, the enabled switch, orphans.

A type is an *orphan* when the database still references it (the task-type table, pending
tasks, schedules) but no code in this process registers it. Orphan status is computed, never
stored: it changes as soon as the code registers the type again. The operator's ``enabled``
flag is a separate column and survives either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from tasks_app import audit, availability, lifecycle, rules
from tasks_app.exceptions import InvalidInput, TaskTypeNotFound
from tasks_app.jsonvalues import text_rule
from tasks_app.models import OperatorActionKind, Schedule, Task, TaskStatus, TaskType
from tasks_app.ops.maintenance import migrated_home
from tasks_app.registry import TaskDefinition, registry

logger = logging.getLogger("tasks_app.ops.task_types")
BATCH = 500


@dataclass(frozen=True)
class TaskTypeInfo:
    """What operators see of one type: registry data merged with its table row."""

    name: str
    enabled: bool
    registered: bool
    definition: TaskDefinition | None
    """The registered definition (None for an orphan)."""
    row: TaskType | None
    """The table row (None before the first sync)."""

    @property
    def is_orphan(self) -> bool:
        return not self.registered


@dataclass(frozen=True)
class Orphan:
    name: str
    in_type_table: bool
    pending_tasks: int
    schedules: int

    def describe(self) -> str:
        where = ["task-type table"] if self.in_type_table else []
        if self.pending_tasks:
            where.append(f"{self.pending_tasks} pending task(s)")
        if self.schedules:
            where.append(f"{self.schedules} schedule(s)")
        return f"{self.name} ({', '.join(where)})"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    failed_tasks: list[str] = field(default_factory=list)


def orphans_find() -> list[Orphan]:
    """Every type name the database references that this process does not register."""
    known = set(registry.names())
    table = set(TaskType.objects.exclude(name__in=known).values_list("name", flat=True))
    pending: dict[str, int] = {}
    for name in (
        Task.objects.filter(status=TaskStatus.PENDING)
        .exclude(task_type__in=known)
        .values_list("task_type", flat=True)
    ):
        pending[name] = pending.get(name, 0) + 1
    scheduled: dict[str, int] = {}
    for name in Schedule.objects.exclude(task_type__in=known).values_list("task_type", flat=True):
        scheduled[name] = scheduled.get(name, 0) + 1
    names = sorted(table | set(pending) | set(scheduled))
    return [
        Orphan(
            name=n,
            in_type_table=n in table,
            pending_tasks=pending.get(n, 0),
            schedules=scheduled.get(n, 0),
        )
        for n in names
    ]


def task_types_sync() -> SyncReport:
    """Mirror the registry into the table and end the pending tasks of orphan types.

    Runs after ``migrate`` and in every worker process as it starts; safe to run
    concurrently (inserts ignore conflicts, task transitions are compare-and-set).
    """
    report = SyncReport()
    _import_recorded_modules()
    now = timezone.now()
    definitions = {d.name: d for d in registry}
    existing = set(TaskType.objects.filter(name__in=definitions).values_list("name", flat=True))
    missing = [n for n in definitions if n not in existing]
    TaskType.objects.bulk_create(
        [
            TaskType(name=n, description=definitions[n].description, last_seen_at=now)
            for n in missing
        ],
        ignore_conflicts=True,
    )
    report.created = missing
    TaskType.objects.filter(name__in=definitions).update(last_seen_at=now)
    report.orphans = orphans_find()
    orphan_names = [o.name for o in report.orphans if o.pending_tasks]
    if orphan_names:
        report.failed_tasks = _fail_pending_orphans(orphan_names)
    if report.orphans:
        logger.warning(
            "Orphan task types: %s",
            "; ".join(o.describe() for o in report.orphans),
            extra={"action": "orphans"},
        )
    return report


def _import_recorded_modules() -> None:
    """Pending tasks of types registered by importing their module (Django's tasks API) are no
    orphans: import the modules recorded on them before judging."""
    unknown = (
        Task.objects.filter(status=TaskStatus.PENDING)
        .exclude(task_type__in=registry.names())
        .exclude(task_module="")
        .values_list("task_type", "task_module")
        .distinct()
    )
    for name, module in list(unknown):
        registry.import_recorded(name, module)


def _fail_pending_orphans(names: list[str]) -> list[str]:
    failed = []
    pending = Task.objects.filter(status=TaskStatus.PENDING, task_type__in=names)
    for task in pending.order_by("created_at")[:BATCH]:
        message = f"Task type {task.task_type!r} is not registered."
        if lifecycle.refuse(task, message=message, error_type="UnknownTaskType"):
            failed.append(str(task.uuid))
    return failed


def sync_after_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    if not migrated_home(using, TaskType):
        return
    report = task_types_sync()
    logger.info("Task types synced: %d new, %d orphans", len(report.created), len(report.orphans))


def sync_at_worker_start(**kwargs: Any) -> None:
    """A worker mirrors its registry before taking work (a log line, never a crash)."""
    from django.db import connection

    try:
        task_types_sync()
    except Exception:
        logger.exception("Task type sync at worker start failed", extra={"action": "orphans"})
    finally:
        connection.close()


def task_type_list() -> list[TaskTypeInfo]:
    """Registered types and orphan rows, by name."""
    rows = {row.name: row for row in TaskType.objects.all()}
    infos = [
        TaskTypeInfo(
            name=d.name,
            enabled=rows[d.name].enabled if d.name in rows else True,
            registered=True,
            definition=d,
            row=rows.get(d.name),
        )
        for d in registry
    ]
    infos += [
        TaskTypeInfo(name=n, enabled=row.enabled, registered=False, definition=None, row=row)
        for n, row in rows.items()
        if n not in registry
    ]
    return sorted(infos, key=lambda i: i.name)


def _not_found(name: Any) -> TaskTypeNotFound:
    return TaskTypeNotFound(f"Task type {name!r} is neither registered nor in the type table.")


def _storable(name: Any) -> bool:
    """Whether the type table could hold ``name`` (a database refuses NUL, for one)."""
    return isinstance(name, str) and text_rule(name) is None


def task_type_get(*, name: str) -> TaskTypeInfo:
    if _storable(name):
        for info in task_type_list():
            if info.name == name:
                return info
    raise _not_found(name)


def task_type_set_enabled(
    *, name: str, enabled: bool, user: Any = None, reason: str = ""
) -> TaskType:
    """Enable or disable a type. A registered type gets its row now if no sync made it yet.

    Needs staff with ``tasks_app.change_tasktype`` (``user=None``: the system); recorded in
    the audit trail."""
    rules.require_permission(
        user,
        rules.CHANGE_TASK_TYPE,
        f"Enabling or disabling task types needs the permission {rules.CHANGE_TASK_TYPE!r}.",
    )
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled", "enabled must be true or false.")
    if not _storable(name):
        raise _not_found(name)
    with transaction.atomic():
        row = TaskType.objects.select_for_update().filter(name=name).first()
        if row is None:
            if name not in registry:
                raise _not_found(name)
            TaskType.objects.bulk_create(
                [TaskType(name=name, description=registry.get(name).description)],
                ignore_conflicts=True,
            )
            row = TaskType.objects.select_for_update().get(name=name)
        before = row.enabled
        row.enabled = enabled
        row.updated_by = user
        row.save(update_fields=["enabled", "updated_by", "updated_at"])
        audit.record(
            actor=user,
            action=OperatorActionKind.TYPE_ENABLE if enabled else OperatorActionKind.TYPE_DISABLE,
            target_type="task_type",
            target_id=name,
            before={"enabled": before},
            after={"enabled": enabled},
            reason=reason,
        )
        availability.switch.invalidate()  # this transaction reads the new value
        transaction.on_commit(availability.switch.invalidate)  # so do others once committed
    logger.info(
        "Task type %s %s", name, "enabled" if enabled else "disabled", extra={"action": "toggle"}
    )
    return row
