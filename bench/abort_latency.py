"""Abort latency: from the ``task_abort`` call to the abort handler starting in the worker.

A real ``qcluster`` (``--workers``, 2) runs an abortable task; the benchmark aborts it at a random
moment and reads the wall-clock stamp the handler writes first thing. Measured twice in one
run, at the default ``ABORT_POLL_INTERVAL``: with PostgreSQL push (``ABORT_PUSH``, the
default) and with status polling alone, whose median is about half the poll interval.

    python -m bench.abort_latency [--samples 30] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

from bench.harness import emit, median, percentile, qcluster, reset_queue, setup, wait_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    marks = Path(tempfile.mkdtemp(prefix="gtf-bench-"))
    os.environ["GTF_BENCH_MARKS"] = str(marks)
    setup()

    from django.contrib.auth import get_user_model

    from tasks_app.conf import conf

    user, _ = get_user_model().objects.get_or_create(username="bench")
    reset_queue()
    poll = float(conf.ABORT_POLL_INTERVAL)
    results = {}
    for mode, flag in (("push", "1"), ("polling", "0")):
        results[mode] = measure(args.samples, marks, user, poll, flag, args.workers)
    reset_queue()
    print(
        f"samples: {args.samples} per mode, ABORT_POLL_INTERVAL: {poll} s, {args.workers} workers"
    )
    for mode, ms in results.items():
        print(
            f"{mode:8}: abort call -> handler start median {median(ms):4.0f} ms,"
            f" p95 {percentile(ms, 95):4.0f} ms"
        )
    ratio = median(results["push"]) / median(results["polling"])
    print(f"median push / polling: {ratio:.3f}")
    figures: dict[str, float] = {"poll_interval_s": poll, "ratio_push_polling": round(ratio, 3)}
    for mode, ms in results.items():
        figures[f"{mode}_median_ms"] = round(median(ms), 1)
        figures[f"{mode}_p95_ms"] = round(percentile(ms, 95), 1)
    emit("bench.abort_latency", figures)


def measure(
    samples: int, marks: Path, user, poll: float, push_flag: str, workers: int
) -> list[float]:
    from tasks_app.services import task_abort, task_submit

    latencies: list[float] = []
    with qcluster(workers=workers, env={"GTF_BENCH_ABORT_PUSH": push_flag}):
        for _ in range(samples):
            marker = uuid.uuid4().hex
            started, aborted = marks / f"{marker}.started", marks / f"{marker}.abort"
            task = task_submit(
                user=user, task_type="bench.abortable", parameters={"marker": marker}
            ).task
            wait_for(started.exists, timeout=60, what="the task to start")
            time.sleep(random.uniform(0, poll))  # sample every phase of the poll cycle
            called = time.time()
            task_abort(task_uuid=task.uuid, user=user)
            wait_for(aborted.exists, timeout=30, what="the abort handler")
            latencies.append(float(aborted.read_text()) - called)
    return [v * 1000 for v in latencies]


if __name__ == "__main__":
    main()
