"""Drain no-op tasks through a real ``qcluster``: GTF versus raw Django-Q2.

Both sides are enqueued before their cluster starts, and the rate starts at the first task's
end, so cluster start-up is left out. Two figures per side: to the last task's end *as
recorded* (GTF: ``ended_at``, written durably by the worker's finish; raw: Django-Q2's
``stopped``, stamped by its worker before its monitor process writes the result row), and
to the moment every result is *in the database* (polled every 10 ms): raw Django-Q2's
monitor writes its result rows one by one behind the workers, so its recorded ends can
run ahead of its results. Raw Django-Q2 runs
with its own broker (no ``broker_class``), GTF with its default configuration (GTF's broker).
The broker is the ORM on PostgreSQL, or Redis with ``REDIS_URL``. Rounds alternate raw and
GTF. Targets: GTF >= 1.0x raw on the ORM broker, >= 0.8x on Redis (1,000 tasks, 2 workers).

    python -m bench.drain [--count 1000] [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from bench.harness import median, qcluster, reset_queue, setup, verdict


def drain_gtf(count: int, workers: int) -> tuple[float, float]:
    from django.contrib.auth import get_user_model
    from django.db.models import Max, Min

    from tasks_app.models import Task, TaskStatus
    from tasks_app.services import SubmitItem, task_submit_many

    user, _ = get_user_model().objects.get_or_create(username="bench")
    for start in range(0, count, 1000):
        items = [SubmitItem("bench.noop", {}) for _ in range(min(1000, count - start))]
        task_submit_many(items=items, user=user)
    with qcluster(workers=workers):
        stored = wait_for_count(
            lambda: Task.objects.filter(status=TaskStatus.SUCCESS).count(), count, "GTF tasks"
        )
    span = Task.objects.aggregate(first=Min("ended_at"), last=Max("ended_at"))
    return spans(span["first"], span["last"], stored)


def drain_raw(count: int, workers: int) -> tuple[float, float]:
    from django.db.models import Max, Min
    from django_q.models import Task as QTask
    from django_q.tasks import async_task

    from bench.submit_throughput import plain_django_q

    with plain_django_q():
        for _ in range(count):
            async_task("bench.tasks.raw_noop")
    with qcluster(workers=workers, plain=True):
        stored = wait_for_count(
            lambda: QTask.objects.filter(success=True).count(), count, "raw tasks"
        )
    span = QTask.objects.aggregate(first=Min("stopped"), last=Max("stopped"))
    return spans(span["first"], span["last"], stored)


def spans(first: datetime, last: datetime, stored: datetime) -> tuple[float, float]:
    """Seconds from the first end to the last recorded end, and to every result stored."""
    return (last - first).total_seconds(), (stored - first).total_seconds()


def wait_for_count(counter, count: int, what: str) -> datetime:
    """Waits until ``counter()`` reaches ``count``; returns when it was seen to."""
    from django.utils import timezone

    deadline = time.monotonic() + max(600, count / 5)
    while time.monotonic() < deadline:
        if counter() >= count:
            return timezone.now()
        time.sleep(0.01)
    raise SystemExit(f"Timed out waiting for {count} {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    setup()
    from django.conf import settings

    redis = bool(settings.Q_CLUSTER.get("redis"))
    target = 0.8 if redis else 1.0
    recorded: dict[str, list[float]] = {"gtf": [], "raw": []}
    stored: dict[str, list[float]] = {"gtf": [], "raw": []}
    for _ in range(args.rounds):
        for name, drain in (("raw", drain_raw), ("gtf", drain_gtf)):
            reset_queue()
            to_end, to_stored = drain(args.count, args.workers)
            recorded[name].append((args.count - 1) / to_end)
            stored[name].append((args.count - 1) / to_stored)
    reset_queue()
    broker = "Redis" if redis else "ORM (PostgreSQL)"
    print(f"broker: {broker}, workers: {args.workers}, tasks per run: {args.count}")
    for title, rates in (
        ("to every result stored", stored),
        ("to the last end recorded", recorded),
    ):
        gtf_rate, raw_rate = median(rates["gtf"]), median(rates["raw"])
        ratio = gtf_rate / raw_rate
        print(f"{title}:")
        print(f"  raw Django-Q2: {raw_rate:7.1f} tasks/s  (runs: {_fmt(rates['raw'])})")
        print(f"  GTF tracked  : {gtf_rate:7.1f} tasks/s  (runs: {_fmt(rates['gtf'])})")
        print(f"  ratio GTF/raw: {ratio:.2f} (target >= {target}: {verdict(ratio, target)})")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
