"""Periodic maintenance jobs: installed on the executor's scheduler after ``migrate``."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, models, router

from tasks_app import extensions
from tasks_app.dispatch import get_executor
from tasks_app.models import Task

logger = logging.getLogger("tasks_app.ops.maintenance")


def migrated_home(using: str, model: type[models.Model]) -> bool:
    """``using`` is where ``model``'s rows live and its table is migrated.

    ``post_migrate`` is sent for every database ``migrate`` runs on; a handler does its work
    once, for the database the router gives the model (not on "default" while another is
    migrated, nor before the model's own database is).
    """
    return router.allow_migrate_model(using, model) and router.db_for_write(model) == using


def install_periodic_jobs(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Create or update the executor's schedules for every job the installed apps declare."""
    if not migrated_home(using, Task):
        return
    executor = get_executor()
    if not executor.supports_periodic:
        return
    jobs = extensions.periodic_jobs()
    executor.install_periodic(jobs)
    logger.info("Installed %d periodic jobs", len(jobs), extra={"action": "periodic"})
