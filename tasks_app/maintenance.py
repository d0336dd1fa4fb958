"""Periodic maintenance jobs and the hooks that install them (after migrate, at worker start)."""

from __future__ import annotations

import logging

from tasks_app.executors import Periodic, get_executor

logger = logging.getLogger("tasks_app.maintenance")

# Apps append their jobs here in AppConfig.ready(); installed by install_periodic_jobs().
PERIODIC_JOBS: list[Periodic] = []


def install_periodic_jobs(**kwargs) -> None:
    """Create or update the executor's schedules for every job in :data:`PERIODIC_JOBS`."""
    executor = get_executor()
    if not executor.supports_periodic:
        return
    executor.install_periodic(list(PERIODIC_JOBS))
    logger.info("Installed %d periodic jobs", len(PERIODIC_JOBS), extra={"action": "periodic"})
