"""Django-Q2 executor. Only this package (with :mod:`.broker`) imports ``django_q``."""

from __future__ import annotations

import logging
import math
import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.db import router, transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.exceptions import TimeoutException
from django_q.models import OrmQ, Schedule
from django_q.signals import post_spawn

from tasks_app import signals
from tasks_app.conf import conf
from tasks_app.dispatch import Executor, Periodic, Timetable
from tasks_app.models import Task
from tasks_app.registry import registry
from tasks_app.worker.executors.broker import BROKER_CLASS, package, task_of

logger = logging.getLogger("tasks_app.worker.executors.django_q")


class DjangoQExecutor(Executor):
    """Runs tasks on Django-Q2 clusters.

    With GTF's broker on the task database (``Q_CLUSTER["broker_class"]`` set to
    :data:`BROKER_CLASS` and ``Q_CLUSTER["orm"]``) the task rows are the queue and a submit
    writes nothing else. With any other broker, each due task's message is pushed after its
    row commits; if the push fails the row stays pending and the keeper pushes it later.
    """

    supports_periodic = True
    supports_schedules = True
    supports_queue_inspection = True
    hard_timeout_errors = (TimeoutException,)

    @property
    def pushes_messages(self) -> bool:
        return not (_gtf_broker_configured() and _orm_alias() == router.db_for_write(Task))

    def enqueue_many(self, tasks: list[Task]) -> None:
        if not self.pushes_messages:
            return
        now = timezone.now()
        due = [t for t in tasks if t.run_after <= now]  # the keeper pushes the others when due
        if not due:
            return
        if not Conf.BROKER_CLASS and _orm_alias() == router.db_for_write(Task):
            # Django-Q2's own ORM broker on this database: the queue row commits with the task.
            self.push(due)
        else:
            transaction.on_commit(lambda: self._push_after_commit(due))

    def _push_after_commit(self, tasks: list[Task]) -> None:
        try:
            self.push(tasks)
        except Exception:
            # The broker is down: the task rows are the outbox, the keeper pushes them later.
            logger.warning(
                "Could not push %d task(s) to the broker; they stay pending until it is back",
                len(tasks),
                exc_info=True,
                extra={"action": "push"},
            )

    def push(self, tasks: list[Task]) -> None:
        broker = _broker()
        for task in tasks:
            broker.enqueue(
                package(task_uuid=str(task.uuid), task_type=task.task_type, timeout=task.timeout)
            )

    def check(self) -> list[CheckMessage]:
        """Django-Q2 re-delivers a job still running after ``retry`` seconds: its best-known
        pitfall, refused here before any worker starts."""
        q = getattr(settings, "Q_CLUSTER", {}) or {}
        # Django-Q2's own defaults: no timeout, retry after 60 s.
        timeout, retry = q.get("timeout"), q.get("retry", 60)
        messages: list[CheckMessage] = []
        if timeout is not None and retry is not None and timeout >= retry:
            messages.append(
                Error(
                    f"Q_CLUSTER timeout ({timeout} s) must be smaller than retry ({retry} s).",
                    hint="Set Q_CLUSTER['retry'] above the largest task runtime, e.g. "
                    "timeout + 60; otherwise Django-Q2 delivers running tasks a second time.",
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
                        hint="Raise Q_CLUSTER['retry'] (and 'timeout') above the task's timeout, "
                        "or lower the task's timeout. GTF will not run it twice, but the broker "
                        "will deliver it again.",
                        id="gtf.W011",
                    )
                )
        if Conf.BROKER_CLASS and not _gtf_broker_configured():
            messages.append(
                Warning(
                    f"Q_CLUSTER['broker_class'] is {Conf.BROKER_CLASS!r}, not GTF's broker.",
                    hint=f"Set it to {BROKER_CLASS!r}: without it recovery waits for the "
                    "scheduled 'gtf.reap' job (a backlog delays it), and tasks a killed cluster "
                    "had taken wait for Q_CLUSTER['retry'].",
                    id="gtf.W012",
                )
            )
        elif not Conf.BROKER_CLASS:
            messages.append(
                Warning(
                    "Q_CLUSTER has no 'broker_class': GTF tasks go through Django-Q2's plain "
                    "broker.",
                    hint=f"Set Q_CLUSTER['broker_class'] = {BROKER_CLASS!r}: with it the task "
                    "table is the queue (one INSERT per submit), each cluster runs a keeper "
                    "that no backlog can starve, and the tasks a killed cluster had taken come "
                    "back within STALE_AFTER.",
                    id="gtf.W013",
                )
            )
        return messages

    def install_periodic(self, jobs: list[Periodic]) -> None:
        for job in jobs:
            Schedule.objects.update_or_create(
                name=job.name,
                defaults={
                    "func": job.func,
                    "kwargs": _unsaved(job.kwargs),
                    "schedule_type": Schedule.MINUTES,
                    "minutes": job.minutes,
                    "repeats": -1,
                },
            )

    def install_schedule(self, timetable: Timetable) -> None:
        defaults = {
            "func": timetable.func,
            "kwargs": repr(timetable.kwargs),
            "next_run": timetable.next_run,
            "cron": None,
            "minutes": None,
            "repeats": -1,
        }
        if timetable.kind == "once":
            # Django-Q2 deletes a ONCE schedule with repeats=-1 after it fired.
            defaults["schedule_type"] = Schedule.ONCE
        elif timetable.kind == "cron":
            defaults.update(schedule_type=Schedule.CRON, cron=timetable.cron)
        else:
            # Django-Q2 counts whole minutes; the fired function sets the exact next run again.
            # (its column is a small integer: at most 32767 minutes).
            minutes = min(max(1, math.ceil((timetable.seconds or 60) / 60)), 32767)
            defaults.update(schedule_type=Schedule.MINUTES, minutes=minutes)
        updated = Schedule.objects.filter(name=timetable.name).update(**defaults)
        if not updated:
            Schedule.objects.create(name=timetable.name, **defaults)

    def remove_schedule(self, name: str) -> None:
        Schedule.objects.filter(name=name).delete()

    def schedule_names(self, prefix: str) -> set[str]:
        """Names of the scheduler's schedules that start with ``prefix``."""
        return set(Schedule.objects.filter(name__startswith=prefix).values_list("name", flat=True))

    def queued_task_uuids(self) -> set[str]:
        """Uuids of GTF tasks whose message is still in the broker's queue."""
        broker = _broker()
        if isinstance(broker, ORM):
            raw = (
                OrmQ.objects.using(Conf.ORM)
                .filter(key=broker.list_key)
                .values_list("payload", flat=True)
            )
        elif hasattr(broker.connection, "lrange"):  # Redis
            raw = broker.connection.lrange(broker.list_key, 0, -1)
        else:
            raise NotImplementedError(f"Cannot inspect a {type(broker).__name__} queue.")
        return {u for u in map(task_of, raw) if u is not None}


def _unsaved(kwargs: dict[str, Any]) -> str:
    """A maintenance job's kwargs, as Django-Q2 reads them, for runs whose success it does not
    store: a Success row per minute (``gtf.reap``) would push the host's own history out of
    Django-Q2's ``save_limit``. Failures are still stored."""
    return repr({**kwargs, "q_options": {"save": False}})


def _worker_spawned(sender: object, proc_name: str | None = None, **kwargs: object) -> None:
    signals.worker_started.send(sender=DjangoQExecutor, worker=proc_name)


def connect_signals() -> None:
    """A Django-Q2 worker process that starts is a GTF worker that starts."""
    post_spawn.connect(_worker_spawned, dispatch_uid="gtf_worker_started")


def _gtf_broker_configured() -> bool:
    return Conf.BROKER_CLASS == BROKER_CLASS


def _orm_alias() -> str | None:
    return Conf.ORM or None


_brokers: dict[int, Any] = {}


def _broker() -> Any:
    """One broker per process (Django-Q2's ``async_task`` makes a new one, and a new Redis
    connection pool, on every call)."""
    pid = os.getpid()
    if pid not in _brokers:
        _brokers.clear()
        _brokers[pid] = get_broker()
    return _brokers[pid]
