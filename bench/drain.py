"""Drain 1,000 no-op tasks through a real ``qcluster`` with 2 workers: GTF versus raw Django-Q2.

Both sides are enqueued on the same broker before the cluster starts; the drain time runs
from the first task's end to the last one's, as each side records it (GTF: its task rows;
raw: Django-Q2's result rows, which it keeps by default), so cluster start-up is left out.
Target: GTF throughput >= 0.9x raw.

    python -m bench.drain [--count 1000] [--rounds 2] [--workers 2]
"""

from __future__ import annotations

import argparse

from bench.harness import median, qcluster, reset_queue, setup, verdict, wait_for

TARGET = 0.9


def drain_gtf(count: int, workers: int) -> float:
    from django.contrib.auth import get_user_model
    from django.db.models import Max, Min

    from tasks_app.models import Task, TaskStatus
    from tasks_app.services import task_submit

    user, _ = get_user_model().objects.get_or_create(username="bench")
    for _ in range(count):
        task_submit(user=user, task_type="bench.noop", parameters={})
    with qcluster(workers=workers):
        wait_for(
            lambda: Task.objects.filter(status=TaskStatus.SUCCESS).count() == count,
            timeout=600,
            what=f"{count} GTF tasks to succeed",
        )
    span = Task.objects.aggregate(first=Min("ended_at"), last=Max("ended_at"))
    return (span["last"] - span["first"]).total_seconds()


def drain_raw(count: int, workers: int) -> float:
    from django.db.models import Max, Min
    from django_q.models import Task as QTask
    from django_q.tasks import async_task

    for _ in range(count):
        async_task("bench.tasks.raw_noop")
    with qcluster(workers=workers):
        wait_for(
            lambda: QTask.objects.filter(success=True).count() == count,
            timeout=600,
            what=f"{count} raw Django-Q2 tasks to succeed",
        )
    span = QTask.objects.aggregate(first=Min("stopped"), last=Max("stopped"))
    return (span["last"] - span["first"]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    setup()
    from django.conf import settings

    broker = "Redis" if settings.Q_CLUSTER.get("redis") else "ORM (PostgreSQL)"
    rates: dict[str, list[float]] = {"gtf": [], "raw": []}
    for _ in range(args.rounds):
        for name, drain in (("raw", drain_raw), ("gtf", drain_gtf)):
            reset_queue()
            rates[name].append((args.count - 1) / drain(args.count, args.workers))
    reset_queue()
    gtf_rate, raw_rate = median(rates["gtf"]), median(rates["raw"])
    ratio = gtf_rate / raw_rate
    print(f"broker: {broker}, workers: {args.workers}, tasks per run: {args.count}")
    print(f"raw Django-Q2: {raw_rate:7.1f} tasks/s  (runs: {_fmt(rates['raw'])})")
    print(f"GTF tracked  : {gtf_rate:7.1f} tasks/s  (runs: {_fmt(rates['gtf'])})")
    print(f"ratio GTF/raw: {ratio:.2f} (target >= {TARGET}: {verdict(ratio, TARGET)})")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
