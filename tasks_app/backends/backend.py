"""``GTFBackend``: Django's tasks API backed by GTF tasks that Django-Q2 clusters run."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured

from tasks_app import selectors, services, signals
from tasks_app.backends import registration, results
from tasks_app.backends.compat import (
    DEFAULT_TASK_QUEUE_NAME,
    BaseTaskBackend,
    InvalidTask,
    Task,
    TaskResult,
    TaskResultDoesNotExist,
    normalize_json,
    task_enqueued,
    task_finished,
    task_started,
)
from tasks_app.backends.task_class import GTFTask
from tasks_app.enums import TaskScope
from tasks_app.exceptions import GTFError, InvalidTaskDefinition, ParameterError, TaskNotFound
from tasks_app.models import Task as TaskRow
from tasks_app.registry import Backoff

logger = logging.getLogger("tasks_app.backends")
KNOWN_OPTIONS = ("SCOPE", "RETRIES", "BACKOFF", "TIMEOUT")
BACKOFF_KEYS = ("base", "factor", "cap", "jitter")
# Scope of a task enqueued with no user and no scope of its own: GTF's trusted caller.
NO_USER_SCOPE = TaskScope.SYSTEM


@dataclass(frozen=True)
class ParsedOptions:
    defaults: registration.TypeDefaults
    errors: list[str] = field(default_factory=list)


def parse_options(options: Any) -> ParsedOptions:
    """The backend's ``OPTIONS``, checked: every problem is named (``check()`` reports them)."""
    if not isinstance(options, dict):
        return ParsedOptions(registration.TypeDefaults(), ["OPTIONS must be a dict."])
    problems = [
        f"OPTIONS has an unknown key {name!r} (known: {', '.join(KNOWN_OPTIONS)})."
        for name in sorted(set(options) - set(KNOWN_OPTIONS))
    ]
    scope = options.get("SCOPE")
    if scope is not None and scope not in TaskScope.values:
        problems.append(f"OPTIONS['SCOPE'] must be one of {', '.join(TaskScope.values)}.")
        scope = None
    retries = options.get("RETRIES")
    if retries is not None and (
        isinstance(retries, bool) or not isinstance(retries, int) or retries < 0
    ):
        problems.append("OPTIONS['RETRIES'] must be a whole number, 0 or more.")
        retries = None
    timeout = options.get("TIMEOUT")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0
    ):
        problems.append("OPTIONS['TIMEOUT'] must be a positive whole number of seconds.")
        timeout = None
    backoff = options.get("BACKOFF")
    try:
        backoff = _backoff(backoff)
    except (InvalidTaskDefinition, TypeError, ValueError) as exc:
        problems.append(f"OPTIONS['BACKOFF'] is invalid: {exc}")
        backoff = None
    defaults = registration.TypeDefaults(
        scope=scope, retries=retries, backoff=backoff, timeout=timeout
    )
    return ParsedOptions(defaults, problems)


def _backoff(value: Any) -> float | Backoff | None:
    if value is None:
        return None
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(BACKOFF_KEYS))
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: {BACKOFF_KEYS}.")
        return Backoff(**value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError("give seconds (a number, 0 or more) or a dict of base, factor, cap, jitter.")


class GTFBackend(BaseTaskBackend):
    """Each ``enqueue()`` submits a GTF task: visible in the API, the admin and the task
    center, deduplicated when the call gives a key, retried and deferred as GTF does, run by
    Django-Q2. ``get_result()`` reads the task back."""

    task_class = GTFTask
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    # GTF's queue runs due tasks oldest first; a priority would be accepted and ignored.
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.parsed = parse_options(self.options)
        connect_signals()

    # -- tasks ----------------------------------------------------------------------------
    def validate_task(self, task: Task) -> None:
        """Django's checks, GTF's checks of the call options, and the task's registration as a
        GTF task type (once per function)."""
        super().validate_task(task)
        if isinstance(task, GTFTask):
            _check_call_options(task)
        if self.parsed.errors:
            raise ImproperlyConfigured(f"TASKS[{self.alias!r}]: {' '.join(self.parsed.errors)}")
        try:
            registration.ensure_registered(task, self.parsed.defaults)
        except GTFError as exc:
            raise InvalidTask(f"{task.module_path} cannot be a GTF task: {exc.message}") from exc

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        # normalize_json keeps the shape it is given: a list stays a list, a dict a dict.
        call_args = cast(list[Any], normalize_json(list(args)))
        call_kwargs = cast(dict[str, Any], normalize_json(dict(kwargs)))
        gtf = task if isinstance(task, GTFTask) else None
        user = gtf.user if gtf else None
        try:
            submitted = services.task_submit(
                task_type=registration.type_name(task),
                user=user,
                parameters={"args": call_args, "kwargs": call_kwargs},
                task_key=_key(task, call_args, call_kwargs),
                scope=self._scope(gtf, user),
                task_name=gtf.task_name if gtf else None,
                run_after=task.run_after,
            )
        except ParameterError as exc:
            raise TypeError(f"{task.module_path}: {exc.message}") from exc
        row = submitted.task
        # A new task has no attempts yet; a joined one may.
        attempts = [] if submitted.created else selectors.task_attempts(task=row)
        result = results.build(row=row, task=task, attempts=attempts, backend=self.alias)
        if submitted.created:
            # As Django's own backends: from enqueue() itself (in the caller's transaction).
            task_enqueued.send(type(self), task_result=result)
        return result

    def _scope(self, task: GTFTask | None, user: Any) -> str:
        if task is not None and task.scope:
            return task.scope
        if user is not None:
            return TaskScope.PRIVATE
        return self.parsed.defaults.scope or NO_USER_SCOPE

    def get_result(self, result_id: Any) -> TaskResult:
        """The task ``result_id`` (a GTF task uuid) as Django's result: its status (see
        :mod:`tasks_app.backends.results`), return value, errors and workers per attempt."""
        try:
            task_uuid = selectors.parse_uuid(result_id)
        except TaskNotFound:
            raise TaskResultDoesNotExist(result_id) from None
        row = TaskRow.objects.filter(uuid=task_uuid).first()
        if row is None:
            raise TaskResultDoesNotExist(result_id)
        task = registration.index.get(row.task_type)
        if task is None:
            raise TaskResultDoesNotExist(
                f"{result_id} is a GTF task of type {row.task_type!r}, which no task of "
                "Django's tasks API registers in this process."
            )
        return result_of(row, task, backend=self.alias)

    # -- configuration ----------------------------------------------------------------------
    def check(self, **kwargs: Any) -> list[CheckMessage]:
        messages: list[CheckMessage] = [
            Error(
                problem,
                hint="See docs/django-tasks.md for the options GTFBackend reads.",
                obj=f"TASKS[{self.alias!r}]",
                id="gtf.E030",
            )
            for problem in self.parsed.errors
        ]
        if self.queues != {DEFAULT_TASK_QUEUE_NAME}:
            messages.append(
                Warning(
                    f"TASKS[{self.alias!r}]['QUEUES'] is {sorted(self.queues)!r}: GTF runs every "
                    "task on the same clusters, whatever its queue_name.",
                    hint="Leave QUEUES out (only 'default' is accepted then), or know that the "
                    "names are not kept apart.",
                    obj=f"TASKS[{self.alias!r}]",
                    id="gtf.W031",
                )
            )
        return messages


def _check_call_options(task: GTFTask) -> None:
    for name in ("task_key", "task_name"):
        value = getattr(task, name)
        if value is None:
            continue
        try:
            services.clean_label(name, value)
        except GTFError as exc:
            raise InvalidTask(exc.message) from exc
    if task.scope is not None and task.scope not in TaskScope.values:
        raise InvalidTask(f"scope must be one of {', '.join(TaskScope.values)}.")
    if task.user is not None and not hasattr(task.user, "is_authenticated"):
        raise InvalidTask("user must be a user (an instance of the user model).")


def _key(task: Task, args: list[Any], kwargs: dict[str, Any]) -> str | None:
    """The call's dedup key: the task's ``task_key`` with ``{name}`` parts filled from the
    arguments, bound to the function's parameters."""
    key = task.task_key if isinstance(task, GTFTask) else None
    if key is None or "{" not in key:
        return key
    try:
        bound = registration.call_signature(task).bind(*args, **kwargs)
        bound.apply_defaults()
        return key.format(**bound.arguments)
    except (TypeError, KeyError, IndexError, ValueError, AttributeError) as exc:
        raise InvalidTask(f"task_key {key!r} cannot be filled from the arguments: {exc}") from exc


def result_of(row: TaskRow, task: Task, *, backend: str) -> TaskResult:
    """``row`` as Django's result of ``task`` (a registered one, with the row's ``run_after``
    when the row was deferred or is waiting for a retry)."""
    if row.run_after > row.created_at:
        task = task.using(run_after=row.run_after)
    attempts = selectors.task_attempts(task=row)
    return results.build(row=row, task=task, attempts=attempts, backend=backend)


# -- Django's signals from GTF's: sent wherever GTF sends its own (worker, web) ---------------
def _django_task_of(row: TaskRow) -> Task | None:
    return registration.index.get(row.task_type)


def _send(signal: Any, row: TaskRow, task: Task) -> None:
    result = result_of(row, task, backend=task.backend)
    for receiver, response in signal.send_robust(sender=GTFBackend, task_result=result):
        if isinstance(response, Exception):
            logger.error(
                "Receiver %r of a Django task signal failed for task %s",
                receiver,
                row.uuid,
                exc_info=response,
            )


def _on_started(sender: Any, task: TaskRow, **kwargs: Any) -> None:
    django_task = _django_task_of(task)
    if django_task is not None:
        _send(task_started, task, django_task)


def _on_finished(sender: Any, task: TaskRow, **kwargs: Any) -> None:
    django_task = _django_task_of(task)
    if django_task is not None:
        _send(task_finished, task, django_task)


def connect_signals() -> None:
    signals.task_started.connect(_on_started, dispatch_uid="gtf_django_tasks_started")
    signals.task_finished.connect(_on_finished, dispatch_uid="gtf_django_tasks_finished")
