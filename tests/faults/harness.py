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
    """What the task functions wrote to their log: starts and ends per task."""

    starts: Counter
    ends: Counter

    @classmethod
    def read(cls, events_dir: Path) -> Runs:
        path = events_dir / "runs"
        lines = path.read_text().splitlines() if path.exists() else []
        starts: Counter = Counter()
        ends: Counter = Counter()
        for line in lines:
            kind, uuid, *_ = line.split()
            (starts if kind == "start" else ends)[uuid] += 1
        return cls(starts, ends)


def post_tasks(client: Client, body: dict, times: int) -> list:
    """Submit through the REST API ``times`` times; the answers."""
    return [
        client.post("/api/v1/tasks/", body, content_type="application/json") for _ in range(times)
    ]


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a cluster's whole process group (guard, workers, pusher, monitor, keeper)."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def admin_connection() -> psycopg.Connection:
    """A connection to the server's maintenance database, for the test's own database."""
    cfg = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=cfg["USER"],
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        password=cfg["PASSWORD"] or None,
        autocommit=True,
    )


def terminate_backends(admin: psycopg.Connection, database: str) -> int:
    """Drop every connection to the test database (the workers', the keeper's, ours)."""
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    ).fetchall()
    return len(rows)


@contextmanager
def database_refusing(seconds: float) -> Iterator[None]:
    """The test database refuses every connection for ``seconds`` (its sessions are dropped)."""
    database = connection.settings_dict["NAME"]
    with admin_connection() as admin:
        admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            terminate_backends(admin, database)
            yield
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
