"""Run each task inline once the submit transaction commits: tests and development.

A deferred task (``run_after`` in the future) is not run: nothing here waits for its time.
"""

from __future__ import annotations

import functools

from django.db import transaction
from django.utils import timezone

from tasks_app.dispatch import Executor
from tasks_app.models import Task
from tasks_app.worker.runner import run_task


class ImmediateExecutor(Executor):
    def enqueue_many(self, tasks: list[Task]) -> None:
        now = timezone.now()
        for task in tasks:
            if task.run_after <= now:
                run = functools.partial(run_task, str(task.uuid), task.task_type)
                transaction.on_commit(run, robust=False)
