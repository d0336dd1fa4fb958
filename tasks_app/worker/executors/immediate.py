"""Run each task inline once the submit transaction commits: tests and development."""

from __future__ import annotations

from django.db import transaction

from tasks_app.dispatch import Executor
from tasks_app.worker.runner import run_task


class ImmediateExecutor(Executor):
    def enqueue(self, task) -> None:
        uuid = str(task.uuid)
        transaction.on_commit(lambda: run_task(uuid), robust=False)
