"""The floor under a drain: a worker's own database work per task, without Django-Q2.

GTF side: ``--processes`` processes call the worker's entry point (``run_task``) on pending
no-op tasks one after the other, with no broker, no cluster and no other process: what is
left is GTF's two statements per task (claim-and-read, finish), each its own commit, and
their Python. Raw side: one process saves Django-Q2 result rows as its monitor does
(``save_task``: a read and an INSERT, one commit), the only database write of a raw task on
the Redis broker. Rounds alternate.

    python -m bench.worker_floor [--count 2000] [--processes 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import uuid
from statistics import median

from bench.harness import emit, plain_django_q, reset_queue, setup, spread


def _run_slice(uuids: list[str], out: multiprocessing.Queue) -> None:
    from django.db import connection

    from tasks_app.worker.runner import run_task

    started = time.perf_counter()
    for task_uuid in uuids:
        run_task(task_uuid, task_type="bench.noop")
    out.put(time.perf_counter() - started)
    connection.close()


def floor_gtf(count: int, processes: int) -> tuple[float, float]:
    from django.contrib.auth import get_user_model
    from django.db import connections

    from tasks_app.models import Task, TaskStatus
    from tasks_app.services import SubmitItem, task_submit_many

    user, _ = get_user_model().objects.get_or_create(username="bench")
    task_submit_many(items=[SubmitItem("bench.noop", {}) for _ in range(count)], user=user)
    uuids = [str(u) for u in Task.objects.values_list("uuid", flat=True)]
    connections.close_all()  # each process opens its own
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    started = time.perf_counter()
    workers = [
        ctx.Process(target=_run_slice, args=(uuids[i::processes], out)) for i in range(processes)
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    done = Task.objects.filter(status=TaskStatus.SUCCESS).count()
    if done != count:
        raise SystemExit(f"{done} of {count} tasks ended SUCCESS")
    return count / wall, sum(results) * 1000 / count


def floor_raw(count: int) -> float:
    from django.db import connection
    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.monitor import save_task

    with plain_django_q():
        broker = get_broker()
        now = timezone.now()
        started = time.perf_counter()
        for i in range(count):
            save_task(
                {
                    "id": uuid.uuid4().hex,
                    "name": f"raw-{i}",
                    "func": "bench.tasks.raw_noop",
                    "args": (),
                    "kwargs": {},
                    "started": now,
                    "stopped": timezone.now(),
                    "result": None,
                    "success": True,
                    "sync": True,  # keep the connection: the monitor's is persistent too
                },
                broker,
            )
        wall = time.perf_counter() - started
    connection.close()
    return count / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup()
    gtf, raw, costs = [], [], []
    for _ in range(args.rounds):
        reset_queue()
        raw.append(floor_raw(args.count))
        reset_queue()
        rate, ms_per_task = floor_gtf(args.count, args.processes)
        gtf.append(rate)
        costs.append(ms_per_task)
    reset_queue()
    print(f"{args.count} tasks, {args.rounds} rounds (median, spread); PostgreSQL")
    print(f"  raw result rows, 1 process        {median(raw):7.0f}/s  {spread(raw)}")
    print(
        f"  GTF run_task, {args.processes} processes         {median(gtf):7.0f}/s  {spread(gtf)}"
        f"  ratio {median(gtf) / median(raw):.2f}"
    )
    print(
        f"  GTF ms per task in each process   {median(costs):7.2f}  "
        f"{min(costs):.2f}-{max(costs):.2f}"
    )
    emit(
        "bench.worker_floor",
        {
            "processes": args.processes,
            "rate_raw": round(median(raw)),
            "rate": round(median(gtf)),
            "ratio": round(median(gtf) / median(raw), 3),
            "ms_per_task": round(median(costs), 3),
        },
    )


if __name__ == "__main__":
    main()
