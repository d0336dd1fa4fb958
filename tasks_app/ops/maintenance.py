"""Periodic maintenance jobs: installed on the executor's scheduler after ``migrate``."""

from __future__ import annotations

import logging
from typing import Any

from tasks_app import extensions
from tasks_app.dispatch import get_executor

logger = logging.getLogger("tasks_app.ops.maintenance")


def install_periodic_jobs(**kwargs: Any) -> None:
    """Create or update the executor's schedules for every job the installed apps declare."""
    executor = get_executor()
    if not executor.supports_periodic:
        return
    jobs = extensions.periodic_jobs()
    executor.install_periodic(jobs)
    logger.info("Installed %d periodic jobs", len(jobs), extra={"action": "periodic"})
