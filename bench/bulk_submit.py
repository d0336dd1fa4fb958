"""Bulk submit: ``task_submit_many`` versus one-by-one raw ``async_task`` on PostgreSQL.

Each round submits ``--count`` no-op tasks in batches of ``--batch`` (keyless, and keyed shared
so that dedup and subscriptions are part of the cost), alternating with the same number of
raw ``async_task`` calls. Target: >= 5x the one-by-one raw rate.

    python -m bench.bulk_submit [--count 5000] [--batch 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import itertools
import time

from bench.harness import median, reset_queue, setup, spread, verdict

TARGET = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()

    from django.contrib.auth import get_user_model
    from django_q.tasks import async_task

    from bench.submit_throughput import plain_django_q
    from tasks_app.services import SubmitItem, task_submit_many

    user, _ = get_user_model().objects.get_or_create(username="bench")
    run = itertools.count()

    def bulk(keyed: bool) -> float:
        tag = next(run)
        started = time.perf_counter()
        for start in range(0, args.count, args.batch):
            items = [
                SubmitItem("bench.shared", options={"task_key": f"{tag}:{i}"})
                if keyed
                else SubmitItem("bench.noop")
                for i in range(start, min(start + args.batch, args.count))
            ]
            task_submit_many(items=items, user=user)
        return args.count / (time.perf_counter() - started)

    def raw() -> float:
        started = time.perf_counter()
        with plain_django_q():
            for _ in range(args.count):
                async_task("bench.tasks.raw_noop")
        return args.count / (time.perf_counter() - started)

    rates: dict[str, list[float]] = {"raw": [], "keyless": [], "keyed shared": []}
    for _ in range(args.rounds):
        reset_queue()
        rates["raw"].append(raw())
        rates["keyless"].append(bulk(False))
        rates["keyed shared"].append(bulk(True))
    reset_queue()
    base = median(rates["raw"])
    print(f"{args.count} tasks per round in batches of {args.batch}, {args.rounds} rounds")
    print(f"  raw async_task, one by one {base:8.0f}/s  [{spread(rates['raw'])}]")
    for name in ("keyless", "keyed shared"):
        ratio = median(rates[name]) / base
        print(
            f"  task_submit_many, {name:12s} {median(rates[name]):8.0f}/s  "
            f"[{spread(rates[name])}]  ratio {ratio:.1f} (target >= {TARGET}: "
            f"{verdict(ratio, TARGET)})"
        )


if __name__ == "__main__":
    main()
