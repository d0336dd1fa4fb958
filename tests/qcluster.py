"""Start a real ``manage.py qcluster`` on the test database, for integration tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
DJANGO_Q_EXECUTOR = "tasks_app.worker.executors.django_q.DjangoQExecutor"
# Fast enough for tests, same code paths as production.
FAST_GTF = {
    "ABORT_POLL_INTERVAL": 0.2,
    "HEARTBEAT_INTERVAL": 0.3,
    "STALE_AFTER": 2.0,
    "HARD_TIMEOUT_GRACE": 1,
    "PROGRESS_THROTTLE": 0.0,
    "REQUEUE_PENDING_AFTER": 2.0,
}
# The name a cluster's database connections carry (PostgreSQL's application_name): the fault
# suite tells the workers' backends from its own by it.
CLUSTER_APPLICATION_NAME = "gtf-test-qcluster"


def test_database_url() -> str:
    """A DATABASE_URL naming the database this test run uses (the test database)."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(cfg['NAME']).resolve()}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
    if connection.vendor == "postgresql":
        return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"
    if connection.vendor == "mysql":
        return f"mysql://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 3306}/{cfg['NAME']}"
    raise RuntimeError(f"No qcluster support for {connection.vendor}")


@contextmanager
def qcluster(
    *, events_dir: Path, workers: int = 2, gtf: dict | None = None, q: dict | None = None, log: Path
):
    """Run a cluster until the block ends; its whole process group is stopped after."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],  # as pytest-django set it
        # Production runs with DEBUG off: GTF's hot statements then take their prepared path.
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": test_database_url(),
        "GTF_TEST_DB_APPLICATION_NAME": CLUSTER_APPLICATION_NAME,
        "GTF_TEST_EXECUTOR": DJANGO_Q_EXECUTOR,
        "GTF_TEST_GTF": json.dumps({**FAST_GTF, **(gtf or {})}),
        "GTF_TEST_Q": json.dumps(q or {}),
        "GTF_TEST_EVENTS": str(events_dir),
        "GTF_Q_WORKERS": str(workers),
        "GTF_Q_TIMEOUT": "30",
        "GTF_Q_RETRY": "40",
    }
    connection.close()  # SQLite: let the workers write without waiting on us
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        # A cluster waits for running tasks on SIGTERM; a test is done with them by now.
        proc.wait(timeout=3)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def events(events_dir: Path, name: str) -> list[str]:
    path = events_dir / name
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    """One qcluster per test module: (process, events dir, log path)."""
    events_dir = tmp_path_factory.mktemp("events")
    log = tmp_path_factory.mktemp("logs") / "qcluster.log"
    with django_db_blocker.unblock(), qcluster(events_dir=events_dir, log=log) as proc:
        yield proc, events_dir, log


@pytest.fixture
def django_q_executor(settings, cluster, monkeypatch):
    """Submits go to the module's cluster; a module opts in with ``usefixtures``."""
    settings.GTF = {**settings.GTF, **FAST_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    monkeypatch.setattr("tests.testapp.tasks.EVENTS_DIR", str(cluster[1]))
    yield
    connection.close()
