"""Enqueue rate of Django's tasks API through ``GTFBackend.enqueue`` versus GTF's own
``task_submit`` and raw ``django_q.tasks.async_task``, in the same run.

Each side enqueues a no-op, one call per transaction (autocommit), with no user (GTF: a system
task), on PostgreSQL with a persistent connection. Sides alternate within each round, in a
rotating order, so all see the same machine state. Target: the backend adds at most 10 % to
GTF's submit (time per call).

    python -m bench.django_tasks_enqueue [--count 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import time

from bench.harness import median, reset_queue, setup

TARGET_OVERHEAD = 0.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="enqueues per round and side")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    setup()

    from django_q.tasks import async_task

    from bench.tasks import django_noop
    from tasks_app.services import task_submit

    sides = {
        "raw async_task": lambda: async_task("bench.tasks.raw_noop"),
        "GTF task_submit": lambda: task_submit(
            task_type="bench.noop", user=None, scope="system", parameters={}
        ),
        "GTFBackend.enqueue": lambda: django_noop.enqueue(),
    }
    for call in sides.values():  # warm up: imports, registration, prepared statements
        call()
    reset_queue()
    rates: dict[str, list[float]] = {name: [] for name in sides}
    # CPU time of this process per call: the work each side adds, without the database's
    # (shared, noisy) share of the wall time.
    cpu_us: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for round_no in range(args.rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.count):
                sides[name]()
            rates[name].append(args.count / (time.perf_counter() - wall))
            cpu_us[name].append((time.process_time() - cpu) / args.count * 1e6)
            reset_queue()

    print(f"enqueues per round and side: {args.count}, rounds: {args.rounds}")
    print(f"{'side':<20} {'rate /s: median':>16} {'min':>6} {'max':>6}   {'CPU us/call':>11}")
    for name in names:
        r, c = rates[name], cpu_us[name]
        print(
            f"{name:<20} {median(r):>16.0f} {min(r):>6.0f} {max(r):>6.0f}   "
            f"{median(c):>11.0f} ({min(c):.0f}-{max(c):.0f})"
        )
    gtf, backend = "GTF task_submit", "GTFBackend.enqueue"
    for label, values, slower in (
        ("wall time", rates, lambda g, b: g / b - 1),
        ("CPU time", cpu_us, lambda g, b: b / g - 1),
    ):
        overhead = slower(median(values[gtf]), median(values[backend]))
        rounds = [slower(g, b) for g, b in zip(values[gtf], values[backend], strict=True)]
        verdict = "meets" if overhead <= TARGET_OVERHEAD else "MISSES"
        print(
            f"backend overhead on GTF's submit, {label}: {overhead:+.1%} (medians; per round "
            f"{min(rounds):+.1%} to {max(rounds):+.1%}); target <= {TARGET_OVERHEAD:.0%}: "
            f"{verdict}"
        )
    ratio = median(rates[gtf]) / median(rates[names[0]])
    print(f"GTF task_submit / raw async_task, rate: {ratio:.2f}")


if __name__ == "__main__":
    main()
