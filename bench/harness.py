"""Shared set-up for the benchmarks: Django on the bench database and a real qcluster."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    """Configure Django with bench.settings, create the database if needed, migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django
    from django.conf import settings

    django.setup()
    _create_database(settings.DATABASES["default"])
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _create_database(cfg: dict) -> None:
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://...")
    import psycopg

    params = {"dbname": "postgres", "user": cfg["USER"], "host": cfg["HOST"] or "127.0.0.1"}
    if cfg.get("PORT"):
        params["port"] = cfg["PORT"]
    if cfg.get("PASSWORD"):
        params["password"] = cfg["PASSWORD"]
    with psycopg.connect(**params, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if not exists.fetchone():
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def reset_queue() -> None:
    """Empty GTF's and Django-Q2's tables and the broker's queue, so each run starts from
    the same state."""
    from django.db import connection
    from django_q.brokers import get_broker

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE tasks_app_tasksubscriber, tasks_app_taskattempt, tasks_app_task,"
            " tasks_app_clusternode, django_q_ormq, django_q_task RESTART IDENTITY CASCADE"
        )
    # A Redis queue lives outside the database: left over, its messages would run in the
    # next round, which then waits for a count of results it never sees.
    get_broker().purge_queue()


@contextmanager
def qcluster(
    *, workers: int = 2, env: dict | None = None, log: Path | None = None, plain: bool = False
):
    """A real ``manage.py qcluster`` on the bench settings until the block ends (``plain``:
    Django-Q2's own broker, for the raw baseline)."""
    from django.db import connection

    connection.close()
    out = open(log or os.devnull, "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "GTF_Q_WORKERS": str(workers),
            "GTF_BENCH_PLAIN_DJANGO_Q": "1" if plain else "0",
            **(env or {}),
        },
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"Timed out after {timeout} s waiting for {what}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """The range of a figure over the rounds: ``min-max``."""
    return f"{min(values):.0f}-{max(values):.0f}"


def verdict(ratio: float, target: float) -> str:
    return "meets" if ratio >= target else "MISSES"
