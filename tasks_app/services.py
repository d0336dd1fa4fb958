"""Writes and business rules for tasks: submit, join, abort, unsubscribe."""

from __future__ import annotations

import hashlib
import logging
import uuid as uuid_lib
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from django.db import IntegrityError, transaction

from tasks_app import availability, lifecycle, notify, params, signals
from tasks_app.conf import conf
from tasks_app.dispatch import get_executor
from tasks_app.exceptions import (
    AbortForbidden,
    InvalidInput,
    LastSubscriber,
    SubmitForbidden,
    TaskAlreadyFinished,
    TaskNotAbortable,
    TaskNotFound,
)
from tasks_app.jsonvalues import Rule, text_rule
from tasks_app.models import TERMINAL_STATUSES, Task, TaskScope, TaskStatus, TaskSubscriber
from tasks_app.registry import TaskDefinition, registry
from tasks_app.selectors import parse_uuid

logger = logging.getLogger("tasks_app.services")
S = TaskStatus

MAX_KEY_LENGTH = 256
MAX_TIMEOUT = 7 * 24 * 3600


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


SUBMIT_OPTIONS = frozenset(SubmitOptions.__annotations__)


@dataclass(frozen=True)
class SubmitResult:
    task: Task
    """The new task, or the active task the caller joined."""
    created: bool
    """True if this call created the task."""


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


def _check_submit(*, user, definition: TaskDefinition, scope: str) -> None:
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


def task_submit(
    *,
    task_type: str,
    user: Any,
    parameters: dict[str, Any] | None = None,
    **options: Unpack[SubmitOptions],
) -> SubmitResult:
    """Create a task, or join the active one with the same dedup key.

    Everything is checked before anything is written. Safe under any concurrency: exactly
    one task results, and every caller gets it.
    """
    unknown = sorted(set(options) - SUBMIT_OPTIONS)
    if unknown:
        raise TypeError(f"task_submit() got unknown option(s): {', '.join(unknown)}")
    definition = registry.get(task_type)
    scope = options.get("scope") or definition.scope
    _check_submit(user=user, definition=definition, scope=scope)
    task_key = clean_label("task_key", options.get("task_key"))
    task_name = clean_label("task_name", options.get("task_name"))
    timeout = _check_timeout(options.get("timeout"))
    clean_params = params.validate(definition.signature, parameters)
    params.check_size(clean_params)
    availability.check_submit(definition.name)
    user_id = user.pk if user is not None else None
    dedup = (
        dedup_key(scope=scope, task_type=definition.name, task_key=task_key, user_id=user_id)
        if task_key
        else None
    )
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
    }
    while True:
        with transaction.atomic():
            if dedup is not None:
                existing = Task.objects.filter(dedup_key=dedup).first()
                if existing is not None:
                    return _join(existing, user)
            if dedup is None:
                task = Task.objects.create(**fields)  # nothing to race for: no savepoint
            else:
                try:
                    with transaction.atomic():
                        task = Task.objects.create(**fields)
                except IntegrityError:
                    continue  # another caller won the insert race: read its task and join
            if scope == TaskScope.SHARED and user is not None:
                subscriber_add(task=task, user=user)
            get_executor().enqueue(task)
            transaction.on_commit(lambda t=task: signals.task_submitted.send(sender=Task, task=t))
            logger.info("Task %s submitted", task.uuid, extra={"action": "submit"})
            return SubmitResult(task=task, created=True)


def _join(task: Task, user: Any) -> SubmitResult:
    if task.scope == TaskScope.SHARED and user is not None:
        subscriber_add(task=task, user=user)
    transaction.on_commit(lambda: signals.task_joined.send(sender=Task, task=task, user=user))
    return SubmitResult(task=task, created=False)


def subscriber_add(*, task: Task, user: Any) -> bool:
    """Subscribe ``user``; an existing subscription is a no-op. Returns True if added."""
    try:
        with transaction.atomic():
            TaskSubscriber.objects.create(task=task, user=user)
    except IntegrityError:
        return False
    return True


def _locked_visible(user: Any, task_uuid: Any) -> Task:
    # user=None is a trusted operator (a management command): every task is visible.
    tasks = Task.objects.all() if user is None else Task.objects.visible_to(user)
    task = tasks.select_for_update().filter(uuid=parse_uuid(task_uuid)).first()
    if task is None:
        raise TaskNotFound()
    return task


def task_abort(*, task_uuid: Any, user: Any, force: bool = False) -> AbortResult:
    """Abort or leave a task.

    A shared task's non-staff subscriber is unsubscribed unless they are its last
    subscriber, in which case the task is aborted. ``force`` (staff only) always aborts.
    """
    with transaction.atomic():
        task = _locked_visible(user, task_uuid)
        if force and user is not None and not user.is_staff:
            raise AbortForbidden("Only staff may force an abort.")
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
        task = _request_abort(task)
        transaction.on_commit(lambda: signals.task_aborted.send(sender=Task, task=task, user=user))
        return AbortResult(action="aborted", task=task)


def _request_abort(task: Task) -> Task:
    while True:
        current = task.status
        if current == S.ABORTING:
            return task
        if current in TERMINAL_STATUSES:
            raise TaskAlreadyFinished()
        if current == S.PENDING:
            target = S.ABORTED
        elif task.is_abortable:
            target = S.ABORTING
        else:
            raise TaskNotAbortable()
        if lifecycle.transition(task.pk, current=current, target=target):
            task.refresh_from_db()
            if target == S.ABORTING:
                notify.notify_abort(task.pk)
            if target == S.ABORTED:
                transaction.on_commit(
                    lambda: signals.task_finished.send(sender=Task, task=task, status=task.status)
                )
            logger.info("Task %s -> %s", task.uuid, target, extra={"action": "abort"})
            return task
        task.refresh_from_db()


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


def tasks_delete_finished(*, task_ids) -> int:
    """Delete the finished tasks among ``task_ids``; active ones stay (abort them first).

    Returns how many tasks were deleted.
    """
    _, per_model = Task.objects.filter(pk__in=list(task_ids)).finished().delete()
    return per_model.get(Task._meta.label, 0)
