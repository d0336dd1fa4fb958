"""Django-Q2 executor: the only module that imports ``django_q``."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.db import router, transaction
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule
from django_q.signals import post_spawn
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from tasks_app import signals
from tasks_app.conf import conf
from tasks_app.dispatch import Executor, Periodic, Timetable
from tasks_app.registry import registry

RUNNER = "tasks_app.worker.runner.run_task"


class DjangoQExecutor(Executor):
    """Enqueues ``run_task(uuid)`` on the Django-Q2 broker of ``Q_CLUSTER``."""

    supports_periodic = True
    supports_schedules = True
    supports_queue_inspection = True

    def enqueue(self, task) -> None:
        options = {"task_name": f"gtf:{task.task_type}:{task.uuid}", "save": False}
        if task.timeout:
            # Hard backstop: the runner turns an abortable task TIMED_OUT well before this.
            options["timeout"] = int(task.timeout) + conf.HARD_TIMEOUT_GRACE
        uuid = str(task.uuid)
        if self.broker_shares_transaction(task):
            # Same database: the queue row commits or rolls back with the task row.
            async_task(RUNNER, uuid, q_options=options)
        else:
            transaction.on_commit(lambda: async_task(RUNNER, uuid, q_options=options))

    @staticmethod
    def broker_shares_transaction(task) -> bool:
        alias = Conf.ORM
        return not Conf.BROKER_CLASS and bool(alias) and alias == router.db_for_write(type(task))

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
        return messages

    def install_periodic(self, jobs: list[Periodic]) -> None:
        for job in jobs:
            Schedule.objects.update_or_create(
                name=job.name,
                defaults={
                    "func": job.func,
                    "kwargs": repr(job.kwargs) if job.kwargs else None,
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
        broker = get_broker()
        if isinstance(broker, ORM):
            raw = (
                OrmQ.objects.using(Conf.ORM)
                .filter(key=broker.list_key)
                .values_list("payload", flat=True)
            )
        elif type(broker).__name__ == "Redis":  # its module needs the optional redis package
            raw = broker.connection.lrange(broker.list_key, 0, -1)
        else:
            raise NotImplementedError(f"Cannot inspect a {type(broker).__name__} queue.")
        uuids = set()
        for item in raw:
            try:
                package = SignedPackage.loads(item)
            except Exception:  # a message not signed by this project is not ours
                continue
            if package.get("func") == RUNNER and package.get("args"):
                uuids.add(str(package["args"][0]))
        return uuids


def _worker_spawned(sender: object, proc_name: str | None = None, **kwargs: object) -> None:
    signals.worker_started.send(sender=DjangoQExecutor, worker=proc_name)


def connect_signals() -> None:
    """A Django-Q2 worker process that starts is a GTF worker that starts."""
    post_spawn.connect(_worker_spawned, dispatch_uid="gtf_worker_started")
