"""Enqueue cost of Django's tasks API through ``GTFBackend.enqueue`` versus GTF's own
``task_submit`` and raw ``django_q.tasks.async_task``, in the same run.

Each side enqueues a no-op, one call per transaction (autocommit), with no user (GTF: a system
task), on PostgreSQL with a persistent connection; raw ``async_task`` runs on Django-Q2's own
broker made once and reused (the fair baseline). The sides take turns call by call (A B C
A B C ...), so all three see the same machine state even on a shared, noisy machine; each
call's wall time and this process's CPU time are recorded. Figures are medians over all calls
with their interquartile range, and the spread of the per-round medians. Target: the backend
adds at most 10 % to GTF's submit. On Django 5.2 without the ``django-tasks`` backport
there is no API to measure: the bench says so and ends with ``RESULT {"skipped": ...}``.

    python -m bench.django_tasks_enqueue [--count 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

from bench.harness import emit, median, percentile, raw_submit, reset_queue, setup

TARGET_OVERHEAD = 0.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="calls per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()

    from bench.tasks import django_noop
    from tasks_app.services import task_submit

    if django_noop is None:
        print("Django's tasks API is not installed (Django 5.2 without django-tasks): skipped")
        emit("bench.django_tasks_enqueue", {"skipped": "no django.tasks or django-tasks"})
        return
    sides = {
        "raw async_task": raw_submit,
        "GTF task_submit": lambda: task_submit(
            task_type="bench.noop", user=None, scope="system", parameters={}
        ),
        "GTFBackend.enqueue": lambda: django_noop.enqueue(),
    }
    for call in sides.values():  # warm up: imports, registration, prepared statements
        for _ in range(50):
            call()
    reset_queue()
    names = list(sides)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    round_medians: dict[str, list[float]] = {n: [] for n in names}
    for round_no in range(args.rounds):
        shift = round_no % len(names)
        order = names[shift:] + names[:shift]
        this_round: dict[str, list[float]] = {n: [] for n in names}
        for _ in range(args.count):
            for name in order:
                w, c = time.perf_counter(), time.process_time()
                sides[name]()
                c, w = time.process_time() - c, time.perf_counter() - w
                wall[name].append(w * 1e6)
                cpu[name].append(c * 1e6)
                this_round[name].append(w * 1e6)
        for name in names:
            round_medians[name].append(median(this_round[name]))
        reset_queue()

    def iqr(values: list[float]) -> str:
        return f"{percentile(values, 25):.0f}-{percentile(values, 75):.0f}"

    print(f"calls per round and side: {args.count}, rounds: {args.rounds}, sides interleaved")
    print(
        f"{'side':<20} {'wall us/call':>12} {'(IQR)':>11} {'rounds':>11}  "
        f"{'CPU us/call':>11} {'(IQR)':>11}   {'calls/s':>7}"
    )
    for name in names:
        rm = round_medians[name]
        print(
            f"{name:<20} {median(wall[name]):>12.0f} {iqr(wall[name]):>11} "
            f"{min(rm):>5.0f}-{max(rm):<5.0f}  {median(cpu[name]):>11.0f} {iqr(cpu[name]):>11}"
            f"   {1e6 / median(wall[name]):>7.0f}"
        )
    gtf, backend = "GTF task_submit", "GTFBackend.enqueue"
    figures: dict[str, float] = {}
    for label, values in (("wall time", wall), ("CPU time", cpu)):
        overhead = median(values[backend]) / median(values[gtf]) - 1
        verdict = "meets" if overhead <= TARGET_OVERHEAD else "MISSES"
        print(
            f"backend overhead on GTF's submit, {label}: {overhead:+.1%} (medians); "
            f"target <= {TARGET_OVERHEAD:.0%}: {verdict}"
        )
        figures[f"overhead_{label.split()[0].lower()}"] = round(overhead, 4)
    rounds = [b / g - 1 for g, b in zip(round_medians[gtf], round_medians[backend], strict=True)]
    print(f"  per-round wall overhead: {min(rounds):+.1%} to {max(rounds):+.1%}")
    ratio = median(wall[names[0]]) / median(wall[gtf])
    print(f"GTF task_submit rate / raw async_task rate: {ratio:.2f}")
    emit(
        "bench.django_tasks_enqueue",
        {
            **figures,
            "us_raw": round(median(wall[names[0]])),
            "us_submit": round(median(wall[gtf])),
            "us_backend": round(median(wall[backend])),
            "ratio_submit": round(ratio, 3),
        },
    )


if __name__ == "__main__":
    main()
