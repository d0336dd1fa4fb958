"""Writes and business rules for tasks: submit (one or many), join, abort, unsubscribe,
rerun."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid as uuid_lib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from django.db import IntegrityError, router, transaction
from django.utils import timezone

from tasks_app import audit, availability, inserts, lifecycle, params, rules, signals
from tasks_app.conf import conf
from tasks_app.dispatch import get_executor
from tasks_app.exceptions import (
    AbortForbidden,
    GTFError,
    InvalidInput,
    LastSubscriber,
    ParameterError,
    SubmitForbidden,
    TaskAlreadyFinished,
    TaskNotFinished,
    TaskNotFound,
)
from tasks_app.jsonvalues import Rule, text_rule
from tasks_app.models import (
    TERMINAL_STATUSES,
    OperatorActionKind,
    Task,
    TaskScope,
    TaskStatus,
    TaskSubscriber,
)
from tasks_app.registry import TaskDefinition, registry
from tasks_app.selectors import parse_uuid

logger = logging.getLogger("tasks_app.services")
S = TaskStatus

MAX_KEY_LENGTH = 256
MAX_TIMEOUT = 7 * 24 * 3600
MAX_DEFER = timedelta(days=366)
# An insert conflicts, then its key's holder ends before the read: a few turns settle it.
MAX_INSERT_TRIES = 10
# Rows per INSERT of a bulk submit (databases limit the parameters of one statement).
BULK_CHUNK = 500


class SubmitOptions(TypedDict, total=False):
    """How to submit, apart from the task's own parameters (every submit entry point takes
    these: :func:`task_submit`, ``TaskHandle.submit``, the REST API, ``gtf_submit``)."""

    task_key: str | None
    """Dedup key: one active task per type, key and scope. None: no dedup."""
    scope: str | None
    """``private``, ``shared`` or ``system``; None: the type's scope."""
    task_name: str | None
    """A label shown with the task."""
    timeout: int | None
    """Seconds; None: the type's timeout, else ``DEFAULT_TIMEOUT``."""
    run_after: datetime | None
    """Not started before this time (timezone-aware); None: at once."""


SUBMIT_OPTIONS = frozenset(SubmitOptions.__annotations__)


@dataclass(frozen=True)
class SubmitResult:
    task: Task
    """The new task, or the active task the caller joined."""
    created: bool
    """True if this call created the task."""
    parameters_differ: bool = False
    """The caller joined an active task whose parameters differ from the ones it sent: the
    task runs with its own (``task.parameters``)."""


@dataclass(frozen=True)
class AbortResult:
    action: str
    """``"aborted"`` (the task is ABORTED or ABORTING) or ``"unsubscribed"``."""
    task: Task


def dedup_key(*, scope: str, task_type: str, task_key: str, user_id: int | None) -> str:
    parts = [scope, task_type, task_key]
    if scope == TaskScope.PRIVATE:
        parts.append(str(user_id))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def clean_label(field: str, value: str | None) -> str | None:
    """A task key or name: a string of at most 256 printable characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, f"{field} must be a string.")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidInput(field, f"{field} is longer than {MAX_KEY_LENGTH} characters.")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise InvalidInput(field, f"{field} must not contain NUL or other control characters.")
    if text_rule(value) is Rule.SURROGATE:
        raise InvalidInput(
            field, f"{field} must be valid Unicode text (no lone surrogate characters)."
        )
    return value


def _check_submit(*, user: Any, definition: TaskDefinition, scope: str) -> None:
    if scope not in TaskScope.values:
        raise InvalidInput("scope", f"scope must be one of {', '.join(TaskScope.values)}.")
    if user is None:
        # A trusted Python caller (schedules, commands) submits on behalf of the system.
        if scope == TaskScope.PRIVATE:
            raise InvalidInput("scope", "A private task needs a user.")
        return
    if not user.is_authenticated or not user.is_active:
        raise SubmitForbidden("Authentication is required to submit tasks.")
    if scope == TaskScope.SYSTEM and not user.is_staff:
        raise SubmitForbidden("Only staff may submit system tasks.")
    if definition.permission and not user.has_perm(definition.permission):
        raise SubmitForbidden(
            f"Submitting {definition.name!r} requires the permission {definition.permission!r}."
        )


def _check_timeout(timeout: Any) -> int | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 0 < timeout <= MAX_TIMEOUT:
        raise InvalidInput(
            "timeout", f"timeout must be a whole number of seconds, 1 to {MAX_TIMEOUT}."
        )
    return timeout


def _check_run_after(run_after: Any) -> datetime | None:
    if run_after is None:
        return None
    if not isinstance(run_after, datetime):
        raise InvalidInput("run_after", "run_after must be a date and time.")
    if timezone.is_naive(run_after):
        raise InvalidInput("run_after", "run_after must include a time zone.")
    if run_after - timezone.now() > MAX_DEFER:
        raise InvalidInput("run_after", f"run_after is more than {MAX_DEFER.days} days ahead.")
    return run_after


def check_may_submit(*, user: Any, task_type: str, scope: str) -> None:
    """Raise :class:`SubmitForbidden` unless ``user`` may submit ``task_type`` in ``scope``
    (the rule a submit applies; schedules ask it for their owner)."""
    _check_submit(user=user, definition=registry.get(task_type), scope=scope)


@dataclass(frozen=True)
class _Prepared:
    """A submit checked and ready to write."""

    definition: TaskDefinition
    user: Any
    fields: dict[str, Any]

    @property
    def subscriber_id(self) -> Any:
        shared = self.fields["scope"] == TaskScope.SHARED
        return self.user.pk if shared and self.user is not None else None

    def new_task(self) -> Task:
        return Task(**self.fields)


def _prepare(
    *,
    task_type: str,
    user: Any,
    parameters: Any,
    options: SubmitOptions,
    now: datetime | None = None,
) -> _Prepared:
    """Every check of a submit, before anything is written (``now``: a batch's one time)."""
    unknown = sorted(set(options) - SUBMIT_OPTIONS)
    if unknown:
        raise TypeError(f"task_submit() got unknown option(s): {', '.join(unknown)}")
    definition = registry.get(task_type)
    scope = options.get("scope") or definition.scope
    _check_submit(user=user, definition=definition, scope=scope)
    task_key = clean_label("task_key", options.get("task_key"))
    task_name = clean_label("task_name", options.get("task_name"))
    timeout = _check_timeout(options.get("timeout"))
    run_after = _check_run_after(options.get("run_after"))
    clean_params = params.validate(definition.signature, parameters)
    params.check_size(clean_params)
    availability.check_submit(definition.name)
    user_id = user.pk if user is not None else None
    dedup = (
        dedup_key(scope=scope, task_type=definition.name, task_key=task_key, user_id=user_id)
        if task_key
        else None
    )
    now = now or timezone.now()
    fields = {
        "task_type": definition.name,
        "task_key": task_key or uuid_lib.uuid4().hex,
        "task_name": task_name or "",
        "scope": scope,
        "dedup_key": dedup,
        "parameters": clean_params,
        "created_by_id": user_id,
        "timeout": timeout or definition.timeout or conf.DEFAULT_TIMEOUT,
        "is_abortable": definition.abortable,
        "task_module": definition.task_module,
        "run_after": max(run_after, now) if run_after is not None else now,
    }
    return _Prepared(definition=definition, user=user, fields=fields)


def task_submit(
    *,
    task_type: str,
    user: Any,
    parameters: dict[str, Any] | None = None,
    **options: Unpack[SubmitOptions],
) -> SubmitResult:
    """Create a task, or join the active one with the same dedup key.

    Everything is checked before anything is written. Safe under any concurrency: exactly
    one task results, and every caller gets it. Inside the caller's ``transaction.atomic()``
    the task commits or rolls back with the caller's data.
    """
    prepared = _prepare(task_type=task_type, user=user, parameters=parameters, options=options)
    return _insert(prepared, user)


def _insert(prepared: _Prepared, user: Any) -> SubmitResult:
    """Insert the prepared task, or join the active one holding its key."""
    for _ in range(MAX_INSERT_TRIES):
        found = inserts.insert_or_find(prepared.new_task(), subscriber_id=prepared.subscriber_id)
        if found is None:
            continue  # the task holding the key ended between the conflict and the read
        task, created = found
        if not created:
            return _joined(task, prepared.user, prepared.fields["parameters"])
        _submitted([task])
        return SubmitResult(task=task, created=True)
    raise RuntimeError("The task insert kept conflicting with tasks that end at once.")


@dataclass(frozen=True)
class SubmitItem:
    """One task of :func:`task_submit_many`."""

    task_type: str
    parameters: dict[str, Any] | None = None
    options: SubmitOptions = field(default_factory=lambda: SubmitOptions())


def task_submit_many(*, items: Sequence[SubmitItem], user: Any) -> list[SubmitResult]:
    """Submit many tasks at once: a few statements for the whole batch, not a few per task.

    Every item is checked before anything is written; an invalid item raises naming its
    index (``items[3].parameters.a``) and nothing is written. Dedup holds as for one submit:
    an item whose key an active task (or an earlier item) holds joins that task. Returns one
    result per item, in order.
    """
    prepared = []
    now = timezone.now()
    for index, item in enumerate(items):
        try:
            prepared.append(
                _prepare(
                    task_type=item.task_type,
                    user=user,
                    parameters=item.parameters,
                    options=item.options,
                    now=now,
                )
            )
        except GTFError as exc:
            raise _at_item(index, exc) from exc
    if not inserts.supports_bulk():
        return [_insert(p, p.user) for p in prepared]
    results: list[SubmitResult | None] = [None] * len(prepared)
    with transaction.atomic(using=router.db_for_write(Task)):
        for start in range(0, len(prepared), BULK_CHUNK):
            chunk = prepared[start : start + BULK_CHUNK]
            new = [p.new_task() for p in chunk]
            inserted = inserts.insert_many(new)
            created = [inserted[str(t.uuid)] for t in new if str(t.uuid) in inserted]
            holders = _holders([t.dedup_key for t in new if str(t.uuid) not in inserted])
            subscriptions = []
            for offset, (p, task) in enumerate(zip(chunk, new, strict=True)):
                if str(task.uuid) in inserted:
                    result = SubmitResult(task=inserted[str(task.uuid)], created=True)
                elif task.dedup_key in holders:
                    holder = holders[task.dedup_key]
                    result = SubmitResult(
                        task=holder,
                        created=False,
                        parameters_differ=_differ(holder, p.fields["parameters"]),
                    )
                else:
                    result = _insert(p, p.user)  # its holder ended meanwhile
                if p.subscriber_id is not None:
                    subscriptions.append((result.task, p.subscriber_id))
                results[start + offset] = result
            inserts.subscribe_many(subscriptions)
            _submitted(created)
    for outcome in results:
        if outcome is not None and not outcome.created:
            _joined_signal(outcome.task, user)
    return [r for r in results if r is not None]


def _holders(keys: Sequence[str | None]) -> dict[str, Task]:
    wanted = [k for k in keys if k is not None]
    if not wanted:
        return {}
    return {t.dedup_key: t for t in Task.objects.filter(dedup_key__in=wanted) if t.dedup_key}


def _at_item(index: int, exc: GTFError) -> GTFError:
    """The same error, naming the item it is about."""
    if isinstance(exc, ParameterError):
        return ParameterError({f"items[{index}].{k}": v for k, v in exc.errors.items()})
    field = getattr(exc, "field", None) or "task_type"
    return InvalidInput(f"items[{index}].{field}", f"items[{index}]: {exc.message}")


def _submitted(tasks: Sequence[Task]) -> None:
    for task in tasks:
        transaction.on_commit(
            functools.partial(signals.task_submitted.send, sender=Task, task=task),
            using=router.db_for_write(Task),
        )
        logger.info("Task %s submitted", task.uuid, extra={"action": "submit"})
    if tasks:
        get_executor().enqueue_many(list(tasks))


def _joined(task: Task, user: Any, parameters: dict[str, Any]) -> SubmitResult:
    _joined_signal(task, user)
    return SubmitResult(task=task, created=False, parameters_differ=_differ(task, parameters))


def _differ(task: Task, parameters: dict[str, Any]) -> bool:
    """A join's parameters are not the task's (compared as stored: a tuple sent is the list
    kept)."""
    return json.loads(json.dumps(parameters)) != task.parameters


def _joined_signal(task: Task, user: Any) -> None:
    transaction.on_commit(
        lambda: signals.task_joined.send(sender=Task, task=task, user=user),
        using=router.db_for_write(Task),
    )


def subscriber_add(*, task: Task, user: Any) -> bool:
    """Subscribe ``user``; an existing subscription is a no-op. Returns True if added."""
    try:
        with transaction.atomic(using=router.db_for_write(TaskSubscriber)):
            TaskSubscriber.objects.create(task=task, user=user)
    except IntegrityError:
        return False
    return True


def task_rerun(*, task_uuid: Any, user: Any, reason: str = "") -> SubmitResult:
    """Submit a finished task again: same type, key, scope, name and parameters, linked to it
    (``rerun_of``). A user may rerun their own private tasks; any other rerun needs staff with
    ``tasks_app.rerun_task`` and is recorded in the audit trail; ``user=None`` is the system.
    A private task is rerun on behalf of its creator, so the rerun stays theirs whoever asked
    for it. If an active task holds the key by now, the caller joins it instead."""
    if user is not None and not rules.is_active_user(user):
        raise SubmitForbidden("Authentication is required to rerun tasks.")
    tasks = Task.objects.all() if user is None else Task.objects.visible_to(user)
    old = tasks.filter(uuid=parse_uuid(task_uuid)).first()
    if old is None:
        raise TaskNotFound()
    own = user is not None and old.scope == TaskScope.PRIVATE and old.created_by_id == user.pk
    if not own and not rules.has_operator_permission(user, rules.RERUN_TASK):
        raise SubmitForbidden(
            "Only the creator of a private task, or staff with the permission "
            f"{rules.RERUN_TASK!r}, may rerun it."
        )
    if old.is_active:
        raise TaskNotFinished()
    submitter = user
    if old.scope == TaskScope.PRIVATE:
        submitter = old.created_by
        if submitter is None:
            raise SubmitForbidden("The creator of this private task is gone: it cannot be rerun.")
    try:
        prepared = _prepare(
            task_type=old.task_type,
            user=submitter,
            parameters=old.parameters,
            options=SubmitOptions(
                task_key=old.task_key, scope=old.scope, task_name=old.task_name or None
            ),
        )
    except SubmitForbidden as exc:
        if user is not None and submitter.pk == user.pk:
            raise
        raise SubmitForbidden(f"Its creator may no longer submit this task: {exc.message}") from exc
    prepared.fields["rerun_of_id"] = old.pk
    with transaction.atomic(using=router.db_for_write(Task)):
        result = _insert(prepared, user)
        if not own:
            audit.record(
                actor=user,
                action=OperatorActionKind.RERUN,
                target_type="task",
                target_id=old.uuid,
                after={"task": result.task.uuid, "created": result.created},
                reason=reason,
            )
    return result


def _sole_owner(user: Any, task: Task) -> bool:
    """``user`` is the one person the task is for: the creator of a private or system task,
    the only subscriber of a shared one."""
    if user is None:
        return False
    if task.scope == TaskScope.SHARED:
        subscribers = TaskSubscriber.objects.filter(task=task)
        return (
            subscribers.filter(user_id=user.pk).exists()
            and not subscribers.exclude(user_id=user.pk).exists()
        )
    return task.created_by_id is not None and task.created_by_id == user.pk


def _locked_visible(user: Any, task_uuid: Any) -> Task:
    # user=None is a trusted operator (a management command): every task is visible.
    tasks = Task.objects.all() if user is None else Task.objects.visible_to(user)
    task = tasks.select_for_update().filter(uuid=parse_uuid(task_uuid)).first()
    if task is None:
        raise TaskNotFound()
    return task


def task_abort(*, task_uuid: Any, user: Any, force: bool = False, reason: str = "") -> AbortResult:
    """Abort or leave a task.

    A shared task's subscriber is unsubscribed unless they are its last subscriber, in which
    case the task is aborted. Aborting a task for others (``force``, or a task that is not the
    caller's own) needs staff with ``tasks_app.force_abort_task`` and is recorded in the audit
    trail; ``user=None`` is the system.
    """
    if user is not None and not rules.is_active_user(user):
        raise AbortForbidden("Authentication is required to abort tasks.")
    with transaction.atomic():
        task = _locked_visible(user, task_uuid)
        if force and not rules.has_operator_permission(user, rules.FORCE_ABORT_TASK):
            raise AbortForbidden(
                f"Only staff with the permission {rules.FORCE_ABORT_TASK!r} may force an abort."
            )
        if task.status in TERMINAL_STATUSES:
            raise TaskAlreadyFinished()
        if task.scope == TaskScope.SHARED and not force and user is not None:
            mine = TaskSubscriber.objects.filter(task=task, user_id=user.pk)
            if (
                mine.exists()
                and TaskSubscriber.objects.filter(task=task).exclude(user_id=user.pk).exists()
            ):
                mine.delete()
                logger.info(
                    "User %s left task %s", user.pk, task.uuid, extra={"action": "unsubscribe"}
                )
                return AbortResult(action="unsubscribed", task=task)
        operator = not _sole_owner(user, task)
        if operator and not rules.has_operator_permission(user, rules.FORCE_ABORT_TASK):
            raise AbortForbidden(
                "This task is not yours alone: aborting it needs the permission "
                f"{rules.FORCE_ABORT_TASK!r}."
            )
        before = task.status
        lifecycle.request_abort(task)
        if operator:
            audit.record(
                actor=user,
                action=OperatorActionKind.FORCE_ABORT if force else OperatorActionKind.ABORT,
                target_type="task",
                target_id=task.uuid,
                before={"status": before},
                after={"status": task.status},
                reason=reason,
            )
        transaction.on_commit(lambda: signals.task_aborted.send(sender=Task, task=task, user=user))
        return AbortResult(action="aborted", task=task)


def task_unsubscribe(*, task_uuid: Any, user: Any) -> Task:
    """Leave a shared task. The last subscriber of an active task must abort it instead."""
    with transaction.atomic():
        task = _locked_visible(user, task_uuid)
        mine = TaskSubscriber.objects.filter(task=task, user_id=user.pk)
        if not mine.exists():
            raise TaskNotFound("You are not subscribed to this task.")
        others = TaskSubscriber.objects.filter(task=task).exclude(user_id=user.pk).exists()
        if task.is_active and not others:
            raise LastSubscriber()
        mine.delete()
        return task


# Uuids an audit row of a bulk delete lists; the count is always there.
AUDITED_UUIDS = 100


def tasks_delete_finished(*, task_ids: Iterable[Any], user: Any = None) -> int:
    """Delete the finished tasks among ``task_ids``; active ones stay (abort them first).

    Needs staff with ``tasks_app.delete_task`` (``user=None``: the system); recorded in the
    audit trail. Returns how many tasks were deleted.
    """
    rules.require_permission(user, rules.DELETE_TASK)
    with transaction.atomic(using=router.db_for_write(Task)):
        finished = Task.objects.filter(pk__in=list(task_ids)).finished()
        uuids = list(finished.values_list("uuid", flat=True)[:AUDITED_UUIDS])
        _, per_model = finished.delete()
        deleted = per_model.get(Task._meta.label, 0)
        if deleted:
            audit.record(
                actor=user,
                action=OperatorActionKind.TASKS_DELETE,
                target_type="task",
                before={"tasks": uuids},
                after={"deleted": deleted},
            )
    return deleted
