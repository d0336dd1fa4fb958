"""Drain no-op tasks through a real ``qcluster``: GTF versus raw Django-Q2.

Both sides are enqueued before their cluster starts; the drain rate runs from the first
task's end to the last one's, as each side records it (GTF: its task rows; raw: Django-Q2's
result rows, which it keeps by default), so cluster start-up is left out. Raw Django-Q2 runs
with its own broker (no ``broker_class``), GTF with its default configuration (GTF's broker).
The broker is the ORM on PostgreSQL, or Redis with ``REDIS_URL``. Rounds alternate raw and
GTF. Targets: GTF >= 1.0x raw on the ORM broker, >= 0.8x on Redis (1,000 tasks, 2 workers).

    python -m bench.drain [--count 1000] [--rounds 3] [--workers 2]
"""

from __future__ import annotations

import argparse

from bench.harness import median, qcluster, reset_queue, setup, verdict


def drain_gtf(count: int, workers: int) -> float:
    from django.contrib.auth import get_user_model
    from django.db.models import Max, Min

    from tasks_app.models import Task, TaskStatus
    from tasks_app.services import SubmitItem, task_submit_many

    user, _ = get_user_model().objects.get_or_create(username="bench")
    for start in range(0, count, 1000):
        items = [SubmitItem("bench.noop", {}) for _ in range(min(1000, count - start))]
        task_submit_many(items=items, user=user)
    with qcluster(workers=workers):
        wait_for_count(
            lambda: Task.objects.filter(status=TaskStatus.SUCCESS).count(), count, "GTF tasks"
        )
    span = Task.objects.aggregate(first=Min("ended_at"), last=Max("ended_at"))
    return (span["last"] - span["first"]).total_seconds()


def drain_raw(count: int, workers: int) -> float:
    from django.db.models import Max, Min
    from django_q.models import Task as QTask
    from django_q.tasks import async_task

    from bench.submit_throughput import plain_django_q

    with plain_django_q():
        for _ in range(count):
            async_task("bench.tasks.raw_noop")
    with qcluster(workers=workers, plain=True):
        wait_for_count(lambda: QTask.objects.filter(success=True).count(), count, "raw tasks")
    span = QTask.objects.aggregate(first=Min("stopped"), last=Max("stopped"))
    return (span["last"] - span["first"]).total_seconds()


def wait_for_count(counter, count: int, what: str) -> None:
    from bench.harness import wait_for

    wait_for(lambda: counter() >= count, timeout=max(600, count / 5), what=f"{count} {what}")


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
    rates: dict[str, list[float]] = {"gtf": [], "raw": []}
    for _ in range(args.rounds):
        for name, drain in (("raw", drain_raw), ("gtf", drain_gtf)):
            reset_queue()
            rates[name].append((args.count - 1) / drain(args.count, args.workers))
    reset_queue()
    gtf_rate, raw_rate = median(rates["gtf"]), median(rates["raw"])
    ratio = gtf_rate / raw_rate
    broker = "Redis" if redis else "ORM (PostgreSQL)"
    print(f"broker: {broker}, workers: {args.workers}, tasks per run: {args.count}")
    for label, name, value in (
        ("raw Django-Q2", "raw", raw_rate),
        ("GTF tracked  ", "gtf", gtf_rate),
    ):
        print(f"{label}: {value:7.1f} tasks/s  (runs: {_fmt(rates[name])})")
    print(f"ratio GTF/raw: {ratio:.2f} (target >= {target}: {verdict(ratio, target)})")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
