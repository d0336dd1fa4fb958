"""Abort announcements on PostgreSQL: ``NOTIFY`` in the aborting transaction.

Polling stays the guarantee; a worker that listens (:mod:`tasks_app.worker.push`) only wakes
sooner. A lost notification costs at most one poll interval.
"""

from __future__ import annotations

from django.db import connections, router

from tasks_app.conf import conf
from tasks_app.models import Task

CHANNEL = "gtf_abort"


def database_alias() -> str:
    return router.db_for_write(Task)


def available() -> bool:
    return conf.ABORT_PUSH and connections[database_alias()].vendor == "postgresql"


def notify_abort(task_id: int) -> None:
    """Announce an abort request; PostgreSQL delivers it when the transaction commits."""
    if not available():
        return
    with connections[database_alias()].cursor() as cur:
        cur.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(task_id)])
