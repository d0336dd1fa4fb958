"""Admin of GTF (found by Django's admin autodiscovery): tasks, task types, schedules."""

from tasks_app.admin import operations, tasks

__all__ = ["operations", "tasks"]
