"""Drain no-op tasks through a real ``qcluster``: GTF versus raw Django-Q2, on one clock.

Each side's tasks are enqueued before its cluster starts. The clock runs from the first start
stamped by a worker (Django-Q2's ``pre_execute`` in every worker process, the same hook for
both sides: :mod:`bench.clock`) to the moment this process, polling every 10 ms, sees every
outcome stored in the database (GTF: the task rows SUCCESS; raw: Django-Q2's result rows),
so cluster start-up is left out and a task counts once its outcome is durable. Raw Django-Q2
runs with its own broker (no ``broker_class``), GTF with its default configuration (GTF's
broker), both on the same connection settings. Rounds alternate which side goes first.
Target: GTF >= 1.0x raw on the ORM broker and on Redis.

The broker is the ORM on PostgreSQL; with ``REDIS_URL`` set the bench measures both brokers,
one after the other in a process of its own each (``--broker`` picks one).

    python -m bench.drain [--count 1000] [--rounds 3] [--workers 2] [--broker orm|redis]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import clock
from bench.harness import (
    ROOT,
    emit,
    iqr,
    is_redis,
    median,
    qcluster,
    raw_submit,
    reset_queue,
    setup,
    spread,
    verdict,
)

TARGET = 1.0
POLL = 0.01


def enqueue_gtf(count: int) -> None:
    from django.contrib.auth import get_user_model

    from tasks_app.services import SubmitItem, task_submit_many

    user, _ = get_user_model().objects.get_or_create(username="bench")
    for start in range(0, count, 1000):
        items = [SubmitItem("bench.noop", {}) for _ in range(min(1000, count - start))]
        task_submit_many(items=items, user=user)


def stored_gtf() -> int:
    from tasks_app.models import Task, TaskStatus

    return Task.objects.filter(status=TaskStatus.SUCCESS).count()


def enqueue_raw(count: int) -> None:
    for _ in range(count):
        raw_submit()


def stored_raw() -> int:
    from django_q.models import Task as QTask

    return QTask.objects.filter(success=True).count()


SIDES = {"raw": (enqueue_raw, stored_raw), "gtf": (enqueue_gtf, stored_gtf)}


def drain(side: str, count: int, workers: int) -> float:
    """Tasks per second of one side, from its first start to every outcome stored."""
    enqueue, stored = SIDES[side]
    reset_queue()
    enqueue(count)
    marks = Path(tempfile.mkdtemp(prefix="gtf-drain-"))
    try:
        with qcluster(workers=workers, plain=side == "raw", env={clock.ENV: str(marks)}):
            done_at = wait_until_stored(stored, count, side)
        started_at = clock.first_start(marks)
    finally:
        shutil.rmtree(marks, ignore_errors=True)
    if started_at is None:
        raise SystemExit(f"No worker stamped a start ({side}): is the bench app installed?")
    return count / (done_at - started_at)


def wait_until_stored(stored, count: int, side: str) -> float:
    """The wall-clock time at which ``stored()`` was first seen to reach ``count``."""
    deadline = time.monotonic() + max(600, count / 5)
    while time.monotonic() < deadline:
        if stored() >= count:
            return time.time()
        time.sleep(POLL)
    raise SystemExit(f"Timed out waiting for {count} {side} outcomes")


def measure(args: argparse.Namespace) -> None:
    """One broker, the one the settings name."""
    setup()
    broker = "redis" if is_redis() else "orm"
    rates: dict[str, list[float]] = {"raw": [], "gtf": []}
    for round_no in range(args.rounds):
        order = ("raw", "gtf") if round_no % 2 == 0 else ("gtf", "raw")
        for side in order:
            rates[side].append(drain(side, args.count, args.workers))
    reset_queue()
    ratio = median(rates["gtf"]) / median(rates["raw"])
    per_round = [g / r for g, r in zip(rates["gtf"], rates["raw"], strict=True)]
    print(
        f"broker: {broker}, workers: {args.workers}, tasks per run: {args.count}, rounds:"
        f" {args.rounds}; first start stamped -> every outcome stored (tasks/s)"
    )
    for side, label in (("raw", "raw Django-Q2"), ("gtf", "GTF tracked")):
        values = rates[side]
        print(
            f"  {label:13s} median {median(values):7.1f}  IQR {iqr(values):>9}"
            f"  range {spread(values):>9}  runs {', '.join(f'{v:.0f}' for v in values)}"
        )
    print(
        f"  GTF/raw {ratio:.2f} (per round {min(per_round):.2f}-{max(per_round):.2f});"
        f" target >= {TARGET}: {verdict(ratio, TARGET)}"
    )
    emit(
        "bench.drain",
        {
            "workers": args.workers,
            "count": args.count,
            f"rate_{broker}_raw": round(median(rates["raw"]), 1),
            f"rate_{broker}": round(median(rates["gtf"]), 1),
            f"ratio_{broker}": round(ratio, 3),
            f"ratio_{broker}_min": round(min(per_round), 3),
            f"ratio_{broker}_max": round(max(per_round), 3),
        },
    )


def measure_each_broker(args: argparse.Namespace, brokers: list[str]) -> None:
    """Each broker in a process of its own (Django-Q2 reads its broker at import); one RESULT."""
    figures: dict[str, object] = {}
    for broker in brokers:
        env = dict(os.environ)
        if broker == "orm":
            env.pop("REDIS_URL", None)
        argv = [sys.executable, "-m", "bench.drain", "--broker", broker]
        argv += ["--count", str(args.count), "--rounds", str(args.rounds)]
        argv += ["--workers", str(args.workers)]
        out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        lines = out.stdout.splitlines()
        for line in lines:
            if not line.startswith("RESULT "):
                print(line)
        if out.returncode != 0:
            sys.stderr.write(out.stderr)
            raise SystemExit(f"The {broker} drain failed (exit {out.returncode})")
        result = next(json.loads(x[7:]) for x in lines if x.startswith("RESULT "))
        result.pop("bench")
        figures.update(result)
    emit("bench.drain", figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["orm", "redis"], help="default: each one set up")
    args = parser.parse_args()
    if args.broker == "redis" and not os.environ.get("REDIS_URL"):
        parser.error("--broker redis needs REDIS_URL")
    if args.broker:
        measure(args)
    elif os.environ.get("REDIS_URL"):
        measure_each_broker(args, ["orm", "redis"])
    else:
        measure(args)


if __name__ == "__main__":
    main()
