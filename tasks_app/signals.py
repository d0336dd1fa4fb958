"""Signals for integrators. Each is sent with ``sender=Task`` and ``task=<Task>``."""

from django.dispatch import Signal

task_submitted = Signal()
"""A new task row was created (after commit)."""
task_joined = Signal()
"""A submit found an active task with the same key; also sends ``user``."""
task_started = Signal()
"""A worker moved the task to IN_PROGRESS."""
task_finished = Signal()
"""The task reached a terminal status; also sends ``status``."""
task_aborted = Signal()
"""An abort was requested (the task is ABORTING or already ABORTED); also sends ``user``."""
worker_started = Signal()
"""A worker process of the executor started; also sends ``worker`` (its name)."""
