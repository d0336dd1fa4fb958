"""Django-Q2 executor: the only module that imports ``django_q``."""

from __future__ import annotations

from django.db import router, transaction
from django_q.conf import Conf
from django_q.tasks import async_task

from tasks_app.conf import conf
from tasks_app.executors.base import Executor

RUNNER = "tasks_app.runner.run_task"


class DjangoQExecutor(Executor):
    """Enqueues ``run_task(uuid)`` on the Django-Q2 broker of ``Q_CLUSTER``."""

    def enqueue(self, task) -> None:
        options = {"task_name": f"gtf:{task.task_type}:{task.uuid}", "save": False}
        if task.timeout:
            # Hard backstop: the runner turns an abortable task TIMED_OUT well before this.
            options["timeout"] = int(task.timeout) + int(conf.HARD_TIMEOUT_GRACE)
        uuid = str(task.uuid)
        if self.broker_shares_transaction(task):
            # Same database: the queue row commits or rolls back with the task row.
            async_task(RUNNER, uuid, q_options=options)
        else:
            transaction.on_commit(lambda: async_task(RUNNER, uuid, q_options=options))

    @staticmethod
    def broker_shares_transaction(task) -> bool:
        orm_alias = Conf.ORM
        return (
            not Conf.BROKER_CLASS
            and bool(orm_alias)
            and orm_alias == router.db_for_write(type(task))
        )
