"""Shared set-up for the benchmarks: Django on the bench database and a real qcluster."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

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
) -> Iterator[subprocess.Popen]:
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
        # The cluster's own process stops its workers; a SIGTERM to the whole group would kill
        # the sentinel at once (its default action) and leave the cluster waiting for it.
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever outlived the cluster
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


def iqr(values: list[float]) -> str:
    """The middle half of a figure's values: ``p25-p75``."""
    return f"{percentile(values, 25):.0f}-{percentile(values, 75):.0f}"


def verdict(ratio: float, target: float) -> str:
    return "meets" if ratio >= target else "MISSES"


def emit(bench: str, figures: dict[str, Any]) -> None:
    """The bench's last line, for tools: ``RESULT {"bench": ..., figures...}``."""
    line = json.dumps({"bench": bench, **figures}, sort_keys=True)
    print(f"RESULT {line}", flush=True)


def interleave(
    modes: dict[str, Callable[[int], object]], *, rounds: int, block: int
) -> dict[str, list[float]]:
    """Calls per second of each mode, one figure per block of ``block`` calls.

    Each round runs one block of every mode, the order rotating by one each round, so every
    mode sees the same drift of a shared machine and none always follows the same other.
    """
    names = list(modes)
    rates: dict[str, list[float]] = {name: [] for name in names}
    calls = 0
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            call = modes[name]
            started = time.perf_counter()
            for _ in range(block):
                call(calls)
                calls += 1
            rates[name].append(block / (time.perf_counter() - started))
    return rates


@contextmanager
def plain_django_q() -> Iterator[None]:
    """Django-Q2 as a project without GTF configures it: its own broker class."""
    from django_q.conf import Conf

    saved = Conf.BROKER_CLASS
    Conf.BROKER_CLASS = None
    try:
        yield
    finally:
        Conf.BROKER_CLASS = saved


_raw_brokers: dict[int, Any] = {}


def raw_broker() -> Any:
    """Django-Q2's own broker (ORM or Redis), made once per process and reused, as GTF reuses
    its own: ``async_task`` without ``broker=`` builds a new one (a new Redis pool) per call."""
    from django_q.brokers import get_broker

    if os.getpid() not in _raw_brokers:
        _raw_brokers.clear()
        with plain_django_q():
            _raw_brokers[os.getpid()] = get_broker()
    return _raw_brokers[os.getpid()]


def raw_submit() -> None:
    """The fair raw baseline of one submit: ``async_task`` on a reused broker."""
    from django_q.tasks import async_task

    async_task("bench.tasks.raw_noop", broker=raw_broker())


def raw_submit_as_shipped() -> None:
    """Raw ``async_task`` as a project calls it: a new broker per call, and a health check of
    the connection when the project turns health checks on (the host project's DATABASE_URL
    parser does)."""
    from django.db import connection
    from django_q.tasks import async_task

    connection.ensure_connection()
    saved, connection.health_check_enabled = connection.health_check_enabled, True
    try:
        with plain_django_q():
            async_task("bench.tasks.raw_noop")
    finally:
        connection.health_check_enabled = saved


def is_redis() -> bool:
    from django.conf import settings

    return bool(settings.Q_CLUSTER.get("redis"))
