"""Run each task inline once the submit transaction commits: tests and development."""

from __future__ import annotations

from django.db import transaction

from tasks_app.executors.base import Executor


class ImmediateExecutor(Executor):
    def enqueue(self, task) -> None:
        from tasks_app.runner import run_task

        uuid = str(task.uuid)
        transaction.on_commit(lambda: run_task(uuid), robust=False)
