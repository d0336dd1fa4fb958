"""Submit throughput: GTF's ``task_submit`` versus raw ``django_q.tasks.async_task``.

Both enqueue a no-op on the ORM broker (PostgreSQL, persistent connection), one call per
transaction, alternating in rounds so both see the same machine state. Target: ratio >= 0.8.

    python -m bench.submit_throughput [--count 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

from bench.harness import median, reset_queue, setup, verdict

TARGET = 0.8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="submits per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()

    from django.contrib.auth import get_user_model
    from django_q.tasks import async_task

    from tasks_app.services import task_submit

    user, _ = get_user_model().objects.get_or_create(username="bench")
    reset_queue()

    def gtf() -> None:
        task_submit(user=user, task_type="bench.noop", parameters={})

    def raw() -> None:
        async_task("bench.tasks.raw_noop")

    rates: dict[str, list[float]] = {"gtf": [], "raw": []}
    for _ in range(args.rounds):
        for name, call in (("raw", raw), ("gtf", gtf)):
            started = time.perf_counter()
            for _ in range(args.count):
                call()
            rates[name].append(args.count / (time.perf_counter() - started))
        reset_queue()

    gtf_rate, raw_rate = median(rates["gtf"]), median(rates["raw"])
    ratio = gtf_rate / raw_rate
    print(f"submits per round: {args.count}, rounds: {args.rounds} (median of rounds)")
    print(f"raw async_task : {raw_rate:8.0f} /s")
    print(f"GTF task_submit: {gtf_rate:8.0f} /s")
    print(f"ratio GTF/raw  : {ratio:.2f} (target >= {TARGET}: {verdict(ratio, TARGET)})")


if __name__ == "__main__":
    main()
