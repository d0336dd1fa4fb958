"""Schedules of task types: create, change, delete, and what happens when one fires.

A schedule is fired by the executor's scheduler (Django-Q2's ``Schedule`` table), never by a
loop of our own. Each firing submits the task type through :func:`task_submit` with the
schedule's task key, so a run still going when the next is due is joined, not duplicated.

A schedule acts for its owner, the user who created or last changed it: the owner's right to
submit the type is checked when it is saved and again at every firing, which submits as the
owner. A firing whose owner lost that right, was deactivated or deleted is skipped
(``skipped_forbidden``), never submitted as the system. Schedules saved by code or commands
(``user=None``) have no owner and submit as the system.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tasks_app import audit, params, rules
from tasks_app.dispatch import Timetable, get_executor
from tasks_app.enums import SCHEDULE_SCOPES, ScheduleKind, ScheduleOutcome, TaskScope
from tasks_app.exceptions import (
    GTFError,
    InvalidInput,
    ScheduleNotFound,
    SubmitForbidden,
    TaskTypeDisabled,
    UnknownTaskType,
)
from tasks_app.models import OperatorActionKind, Schedule
from tasks_app.ops.maintenance import migrated_home
from tasks_app.ops.timetables import (
    clean_cron,
    clean_interval,
    clean_when,
    cron_next,
    interval_next,
)
from tasks_app.registry import registry
from tasks_app.services import check_may_submit, clean_label, task_submit

logger = logging.getLogger("tasks_app.ops.schedules")
K = ScheduleKind
O = ScheduleOutcome  # noqa: E741

FIRE_FUNC = "tasks_app.ops.schedules.schedule_fire"
EXECUTOR_PREFIX = "gtf.schedule."
FIELDS = (
    "name",
    "task_type",
    "kind",
    "run_at",
    "interval_seconds",
    "cron",
    "parameters",
    "task_key",
    "scope",
    "enabled",
)
# Fields that belong to one kind only; cleared when a change of kind leaves them behind.
KIND_FIELDS = {"run_at": (K.ONCE, K.INTERVAL), "interval_seconds": (K.INTERVAL,), "cron": (K.CRON,)}


def clean_schedule(values: Mapping[str, Any], *, type_changed: bool = True) -> dict[str, Any]:
    """Check a complete set of schedule fields; return them normalised.

    Raises :class:`InvalidInput` (naming the field), :class:`UnknownTaskType` or
    :class:`ParameterError`. ``type_changed=False`` lets a schedule of an orphan type be
    edited (e.g. disabled) without re-registering the type.
    """
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], f"Unknown schedule field(s): {', '.join(unknown)}.")
    out = dict(values)
    name = clean_label("name", out.get("name"))
    if not name or len(name) > 100:
        raise InvalidInput("name", "name must have 1 to 100 characters.")
    out["name"] = name
    task_type = out.get("task_type")
    if not isinstance(task_type, str) or not task_type:
        raise InvalidInput("task_type", "task_type is required.")
    definition = registry.get(task_type) if type_changed or task_type in registry else None
    kind = out.get("kind")
    if kind not in K.values:
        raise InvalidInput("kind", f"kind must be one of {', '.join(K.values)}.")
    for field, kinds in KIND_FIELDS.items():
        if out.get(field) not in (None, "") and kind not in kinds:
            raise InvalidInput(field, f"{field} does not apply to a {kind} schedule.")
    if kind == K.ONCE:
        if out.get("run_at") is None:
            raise InvalidInput("run_at", "A once schedule needs run_at.")
        out["run_at"] = clean_when("run_at", out["run_at"])
    elif kind == K.INTERVAL:
        if out.get("interval_seconds") is None:
            raise InvalidInput("interval_seconds", "An interval schedule needs interval_seconds.")
        out["interval_seconds"] = clean_interval(out["interval_seconds"])
        if out.get("run_at") is not None:
            out["run_at"] = clean_when("run_at", out["run_at"])
    else:
        out["cron"] = clean_cron(out.get("cron"))
    parameters = out.get("parameters")
    if parameters is None:
        parameters = {}
    # Measured as each firing's submit will measure it: defaults filled in.
    if definition is not None:
        submitted = params.validate(definition.signature, parameters)
    else:
        submitted = params.check_values(parameters)
    params.check_size(submitted)
    out["parameters"] = parameters
    out["task_key"] = clean_label("task_key", out.get("task_key")) or ""
    scope = out.get("scope")
    if scope in (None, ""):
        scope = TaskScope.SYSTEM if definition and definition.scope == "system" else "shared"
    if scope not in SCHEDULE_SCOPES:
        raise InvalidInput(
            "scope", "A schedule submits without a user: scope must be shared or system."
        )
    out["scope"] = scope
    enabled = out.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled", "enabled must be true or false.")
    out["enabled"] = enabled
    return out


def next_run(schedule: Schedule, *, now: datetime | None = None) -> datetime | None:
    """When the schedule fires next (None: a once schedule that already fired)."""
    now = now or timezone.now()
    # Validation requires run_at of once and interval schedules, interval_seconds of interval.
    if schedule.kind == K.ONCE:
        run_at = cast(datetime, schedule.run_at)
        fired = schedule.last_run_at is not None and schedule.last_run_at >= run_at
        return None if fired else run_at
    if schedule.kind == K.INTERVAL:
        seconds = cast(int, schedule.interval_seconds)
        return interval_next(cast(datetime, schedule.run_at), seconds, now)
    return cron_next(schedule.cron, now)


def _timetable(schedule: Schedule) -> Timetable:
    return Timetable(
        name=f"{EXECUTOR_PREFIX}{schedule.pk}",
        func=FIRE_FUNC,
        kwargs={"schedule_id": schedule.pk},
        next_run=cast(datetime, schedule.next_run_at),  # installed only with a next run
        kind=schedule.kind,
        seconds=schedule.interval_seconds,
        cron=schedule.cron,
    )


def _install(schedule: Schedule) -> None:
    """Put the schedule on the executor's scheduler, or take it off."""
    executor = get_executor()
    if not executor.supports_schedules:
        return
    if schedule.enabled and schedule.next_run_at is not None:
        executor.install_schedule(_timetable(schedule))
    else:
        executor.remove_schedule(f"{EXECUTOR_PREFIX}{schedule.pk}")


def _save(schedule: Schedule, values: dict[str, Any]) -> Schedule:
    for field, value in values.items():
        setattr(schedule, field, value)
    if schedule.kind == K.INTERVAL and schedule.run_at is None:
        seconds = cast(int, schedule.interval_seconds)  # required of interval schedules
        schedule.run_at = timezone.now() + timedelta(seconds=seconds)
    schedule.next_run_at = next_run(schedule)
    try:
        with transaction.atomic():
            schedule.save()
            _install(schedule)
    except IntegrityError:
        if Schedule.objects.filter(name=schedule.name).exclude(pk=schedule.pk).exists():
            raise InvalidInput(
                "name", f"A schedule named {schedule.name!r} already exists."
            ) from None
        raise
    return schedule


def _values(schedule: Schedule) -> dict[str, Any]:
    return {field: getattr(schedule, field) for field in FIELDS}


def check_owner(user: Any, values: Mapping[str, Any]) -> None:
    """The new owner must be allowed to submit what the schedule will submit as them."""
    if user is None or values["task_type"] not in registry:
        return  # the system; an orphan type's firings are skipped anyway
    try:
        check_may_submit(user=user, task_type=values["task_type"], scope=values["scope"])
    except SubmitForbidden as exc:
        raise SubmitForbidden(f"The schedule would submit as you: {exc.message}") from exc


def _take_ownership(schedule: Schedule, user: Any) -> None:
    # A change by the system keeps the owner: code never lifts a user's schedule to system.
    if user is not None:
        schedule.owner = user
        schedule.owner_name = audit.actor_name(user)


def schedule_create(*, user: Any = None, reason: str = "", **values: Any) -> Schedule:
    """Create a schedule from the fields in :data:`FIELDS`, owned by ``user``.

    Needs staff with ``tasks_app.add_schedule`` who may submit the type (``user=None``: the
    system, no owner); recorded in the audit trail.
    """
    rules.require_permission(user, rules.ADD_SCHEDULE)
    clean = clean_schedule(values)
    check_owner(user, clean)
    if Schedule.objects.filter(name=clean["name"]).exists():
        raise InvalidInput("name", f"A schedule named {clean['name']!r} already exists.")
    schedule = Schedule(created_by=user if user is not None else None)
    _take_ownership(schedule, user)
    with transaction.atomic():
        schedule = _save(schedule, clean)
        audit.record(
            actor=user,
            action=OperatorActionKind.SCHEDULE_CREATE,
            target_type="schedule",
            target_id=schedule.pk,
            after=_values(schedule),
            reason=reason,
        )
    logger.info("Schedule %s created", schedule.name, extra={"action": "schedule"})
    return schedule


def schedule_get(*, schedule_id: Any = None, name: str | None = None) -> Schedule:
    lookup = {"pk": schedule_id} if schedule_id is not None else {"name": name}
    try:
        schedule = Schedule.objects.filter(**lookup).first()
    except (ValueError, TypeError):
        schedule = None
    if schedule is None:
        raise ScheduleNotFound()
    return schedule


def schedule_update(
    *, schedule: Schedule, changes: Mapping[str, Any], user: Any = None, reason: str = ""
) -> Schedule:
    """Change only the fields in ``changes``; the others keep their values.

    Changing ``kind`` clears the fields of the old kind that ``changes`` does not set. A once
    schedule that already fired is armed again by a ``run_at`` later than its last run. Needs
    staff with ``tasks_app.change_schedule`` who may submit the type, and makes them the
    owner (``user=None``: the system, the owner stays); recorded in the audit trail.
    """
    rules.require_permission(user, rules.CHANGE_SCHEDULE)
    current = _values(schedule)
    before = dict(current)
    if "kind" in changes and changes["kind"] != schedule.kind:
        for field in KIND_FIELDS:
            if field not in changes:
                current[field] = "" if field == "cron" else None
    merged = {**current, **changes}
    clean = clean_schedule(merged, type_changed=merged.get("task_type") != schedule.task_type)
    check_owner(user, clean)
    owner_before = schedule.owner_name
    _take_ownership(schedule, user)
    with transaction.atomic():
        schedule = _save(schedule, clean)
        old, new = audit.changed(
            {**before, "owner": owner_before}, {**_values(schedule), "owner": schedule.owner_name}
        )
        audit.record(
            actor=user,
            action=OperatorActionKind.SCHEDULE_CHANGE,
            target_type="schedule",
            target_id=schedule.pk,
            before=old,
            after=new,
            reason=reason,
        )
    logger.info("Schedule %s changed", schedule.name, extra={"action": "schedule"})
    return schedule


def schedule_delete(*, schedule: Schedule, user: Any = None, reason: str = "") -> None:
    """Delete a schedule and take it off the scheduler. Needs staff with
    ``tasks_app.delete_schedule`` (``user=None``: the system); recorded in the audit trail."""
    rules.require_permission(user, rules.DELETE_SCHEDULE)
    with transaction.atomic():
        executor = get_executor()
        if executor.supports_schedules:
            executor.remove_schedule(f"{EXECUTOR_PREFIX}{schedule.pk}")
        audit.record(
            actor=user,
            action=OperatorActionKind.SCHEDULE_DELETE,
            target_type="schedule",
            target_id=schedule.pk,
            before={**_values(schedule), "owner": schedule.owner_name},
            reason=reason,
        )
        schedule.delete()


def schedules_install_all(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Make the executor's scheduler hold exactly the enabled schedules (after migrate)."""
    if not migrated_home(using, Schedule):
        return
    executor = get_executor()
    if not executor.supports_schedules:
        return
    wanted = set()
    for schedule in Schedule.objects.filter(enabled=True, next_run_at__isnull=False):
        executor.install_schedule(_timetable(schedule))
        wanted.add(f"{EXECUTOR_PREFIX}{schedule.pk}")
    for name in executor.schedule_names(EXECUTOR_PREFIX) - wanted:
        executor.remove_schedule(name)


def _owner_refusal(schedule: Schedule) -> str:
    """Why the schedule's owner cannot act any more ("" if they can, or it has none)."""
    if schedule.is_system:
        return ""
    owner = schedule.owner
    if owner is None:
        return f"The owner {schedule.owner_name!r} no longer exists."
    if not owner.is_active:
        return f"The owner {schedule.owner_name!r} is deactivated."
    return ""


def schedule_fire(schedule_id: int) -> str:
    """Called by the scheduler when a schedule is due: submit, or record why not.

    Returns the outcome. Never raises for a refused submit: the outcome records it.
    """
    schedule = Schedule.objects.select_related("owner").filter(pk=schedule_id).first()
    if schedule is None:
        return "missing"  # deleted after the scheduler picked it up
    now = timezone.now()
    task_uuid = None
    refused = _owner_refusal(schedule)
    if not schedule.enabled:
        outcome, message = O.SKIPPED_DISABLED, "The schedule is disabled."
    elif refused:
        outcome, message = O.SKIPPED_FORBIDDEN, refused
    else:
        try:
            result = task_submit(
                task_type=schedule.task_type,
                user=schedule.owner,
                parameters=schedule.parameters,
                task_key=schedule.effective_task_key,
                scope=schedule.scope,
            )
        except UnknownTaskType:
            outcome = O.SKIPPED_ORPHAN
            message = f"Task type {schedule.task_type!r} is not registered."
        except TaskTypeDisabled as exc:
            outcome, message = O.SKIPPED_DISABLED, exc.message
        except SubmitForbidden as exc:
            outcome = O.SKIPPED_FORBIDDEN
            message = f"The owner {schedule.owner_name!r} may no longer submit it: {exc.message}"
        except GTFError as exc:
            outcome, message = O.FAILED, exc.message
        else:
            task_uuid = result.task.uuid
            outcome = O.SUBMITTED if result.created else O.JOINED
            message = "" if result.created else "The previous run was still active: joined it."
    schedule.last_run_at = now
    schedule.next_run_at = next_run(schedule, now=now)
    counter = {
        O.SUBMITTED: "submitted_count",
        O.JOINED: "joined_count",
        O.FAILED: "failed_count",
    }.get(outcome, "skipped_count")
    Schedule.objects.filter(pk=schedule.pk).update(
        last_run_at=now,
        last_outcome=outcome,
        last_message=message,
        last_task_uuid=task_uuid,
        next_run_at=schedule.next_run_at,
        **{counter: F(counter) + 1},
    )
    if schedule.kind == K.INTERVAL and schedule.enabled:
        _install(schedule)  # the scheduler counts whole minutes: set the exact next run
    logger.info(
        "Schedule %s fired: %s %s",
        schedule.name,
        outcome,
        message,
        extra={"action": "schedule_fire"},
    )
    return str(outcome)
