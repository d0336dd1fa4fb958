"""Fault injection with real processes: clusters killed with SIGKILL, database backends
terminated, the test database refusing connections, a Redis server of our own stopped.

Every process and server here is one the test started, found by its PID or process group;
the shared PostgreSQL server is never touched beyond the test's own database.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import Client

# Real clusters on PostgreSQL with faults injected: a CI section of their own runs them.
MARKS = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.qcluster,
    pytest.mark.django_db(transaction=True),
]
# The settings the operators who first reported these faults used.
FAULT_GTF = {
    "HEARTBEAT_INTERVAL": 1.0,
    "STALE_AFTER": 5.0,
    "REQUEUE_PENDING_AFTER": 15.0,
    "ABORT_POLL_INTERVAL": 0.5,
    "PROGRESS_THROTTLE": 0.2,
    # Production's default, stated: the hot statements run prepared (one case turns it off).
    "PREPARED_STATEMENTS": True,
}
# Cluster start-up, process scheduling on a shared 2-core machine.
SLACK = 15.0


FIGURES = Path(__file__).resolve().parents[2] / "var" / "fault-figures.txt"


def report(test: str, **figures: float | int | str) -> None:
    """Keep what a fault test measured (CI prints the file; docs/reliability.md quotes it)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    values = ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
    with FIGURES.open("a") as fh:
        fh.write(f"{test}: {values}\n")


def recovery_bound(*, tasks: int, workers: int, seconds: float) -> float:
    """STALE_AFTER + one reaper interval + the run time of the work, plus start-up slack."""
    waves = math.ceil(tasks / workers) + 1
    return FAULT_GTF["STALE_AFTER"] + FAULT_GTF["HEARTBEAT_INTERVAL"] + waves * seconds + SLACK


@dataclass
class Runs:
    """What the task functions wrote to their log: starts and ends per task, and whether the
    workers that started them logged queries (DEBUG: not the path production runs)."""

    starts: Counter
    ends: Counter
    queries_logged: set[bool]

    @classmethod
    def read(cls, events_dir: Path) -> Runs:
        path = events_dir / "runs"
        lines = path.read_text().splitlines() if path.exists() else []
        starts: Counter = Counter()
        ends: Counter = Counter()
        logged: set[bool] = set()
        for line in lines:
            kind, uuid, _attempt, _at, *rest = line.split()
            (starts if kind == "start" else ends)[uuid] += 1
            if kind == "start":
                logged.add(rest == ["1"])
        return cls(starts, ends, logged)

    def lost(self, uuids: set[str]) -> int:
        """Tasks of ``uuids`` that never ended."""
        return sum(1 for u in uuids if not self.ends[u])

    def run_twice(self, uuids: set[str]) -> int:
        """Tasks of ``uuids`` whose function ended more than once."""
        return sum(1 for u in uuids if self.ends[u] > 1)


def assert_production_path(runs: Runs) -> None:
    """Every worker ran with DEBUG off, so GTF's statements took the path production takes."""
    assert runs.queries_logged == {False}, runs.queries_logged


def log_count(log: Path, text: str) -> int:
    """Lines of a cluster's log that contain ``text`` (what its processes reported)."""
    return sum(text in line for line in log.read_text(errors="replace").splitlines())


def post_tasks(client: Client, body: dict, times: int) -> list:
    """Submit through the REST API ``times`` times; the answers."""
    return [
        client.post("/api/v1/tasks/", body, content_type="application/json") for _ in range(times)
    ]


def kill_group(proc: subprocess.Popen) -> int:
    """SIGKILL a cluster's whole process group (guard, workers, pusher, monitor, keeper);
    returns the guard's exit status (``-SIGKILL`` when the signal is what ended it)."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=10)


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting for its parent does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def port_open(port: int) -> bool:
    with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def worker_pid(worker_id: str) -> int:
    """The process of a task's ``worker_id`` (``host:pid``)."""
    return int(worker_id.rsplit(":", 1)[1])


def server_connection(dbname: str, **options) -> psycopg.Connection:
    """A new connection to the test's PostgreSQL server, as the test's own user."""
    cfg = connection.settings_dict
    return psycopg.connect(
        dbname=dbname,
        user=cfg["USER"],
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        password=cfg["PASSWORD"] or None,
        **options,
    )


def admin_connection() -> psycopg.Connection:
    """A connection to the server's maintenance database, for the test's own database."""
    return server_connection("postgres", autocommit=True)


def terminate_backends(admin: psycopg.Connection, database: str) -> list[str]:
    """Drop every connection to the test database (the workers', the keeper's, ours); the
    ``application_name`` of each backend terminated."""
    rows = admin.execute(
        "SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    ).fetchall()
    return [name for name, terminated in rows if terminated]


def database_accepts() -> bool:
    """Whether the test database takes a new connection now."""
    try:
        server_connection(connection.settings_dict["NAME"], connect_timeout=5).close()
    except psycopg.OperationalError:
        return False
    return True


@contextmanager
def database_refusing(seconds: float) -> Iterator[list[str]]:
    """The test database refuses every connection for ``seconds``; yields the names of the
    backends dropped when it started refusing."""
    database = connection.settings_dict["NAME"]
    with admin_connection() as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            yield terminate_backends(admin, database)
            time.sleep(seconds)
        finally:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A ``redis-server`` of the test's own, on a free port, that the test stops and starts."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None
