"""Bulk submit: ``task_submit_many`` versus one-by-one raw ``async_task``.

Each round submits one batch of ``--batch`` no-op tasks per bulk mode (keyless, and keyed
shared so that dedup and subscriptions are part of the cost) and ``--raw-block`` raw
``async_task`` calls, one per transaction, on Django-Q2's own broker made once and reused (the
fair baseline; "raw as shipped", a new broker per call and connection health checks on, is
printed too). The order of the three rotates each round. Figures are tasks per second: the
medians of the rounds with their interquartile range and range. Target: >= 5x the fair raw.

    python -m bench.bulk_submit [--rounds 10] [--batch 500] [--raw-block 100]
"""

from __future__ import annotations

import argparse
import itertools

from bench.harness import (
    emit,
    interleave,
    iqr,
    median,
    raw_submit,
    raw_submit_as_shipped,
    reset_queue,
    setup,
    spread,
    verdict,
)

TARGET = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500, help="tasks per bulk call")
    parser.add_argument("--raw-block", type=int, default=100, help="raw calls per round")
    args = parser.parse_args()
    setup()

    from django.contrib.auth import get_user_model

    from tasks_app.services import SubmitItem, task_submit_many

    user, _ = get_user_model().objects.get_or_create(username="bench")
    batches = itertools.count()

    def bulk(keyed: bool) -> None:
        tag = next(batches)
        task_submit_many(
            items=[
                SubmitItem("bench.shared", options={"task_key": f"{tag}:{i}"})
                if keyed
                else SubmitItem("bench.noop")
                for i in range(args.batch)
            ],
            user=user,
        )

    def one_by_one(call) -> None:
        for _ in range(args.raw_block):
            call()

    modes = {
        "raw, one by one": lambda i: one_by_one(raw_submit),
        "raw as shipped": lambda i: one_by_one(raw_submit_as_shipped),
        "keyless": lambda i: bulk(False),
        "keyed shared": lambda i: bulk(True),
    }
    reset_queue()
    raw_submit(), raw_submit_as_shipped(), bulk(False), bulk(True)  # warm up
    per_block = interleave(modes, rounds=args.rounds, block=1)
    reset_queue()
    sizes = {"raw, one by one": args.raw_block, "raw as shipped": args.raw_block}
    rates = {n: [r * sizes.get(n, args.batch) for r in v] for n, v in per_block.items()}
    base = median(rates["raw, one by one"])
    print(
        f"{args.rounds} rounds: a batch of {args.batch} per bulk mode, {args.raw_block} raw calls"
        " (tasks/s: median, IQR, range)"
    )
    figures: dict[str, object] = {"rate_raw": round(base)}
    for name, values in rates.items():
        ratio = median(values) / base
        if name == "raw as shipped":
            mark = f"  shipped/fair raw {ratio:.2f} (not a baseline)"
            figures["rate_raw_as_shipped"] = round(median(values))
        elif name == "keyless":
            mark = f"  GTF/raw {ratio:.1f} (target >= {TARGET}: {verdict(ratio, TARGET)})"
            figures.update(rate_bulk=round(median(values)), ratio_bulk=round(ratio, 3))
        elif name == "keyed shared":
            mark = f"  GTF/raw {ratio:.1f} (target >= {TARGET}: {verdict(ratio, TARGET)})"
            figures["rate_bulk_shared"] = round(median(values))
            figures["ratio_bulk_shared"] = round(ratio, 3)
        else:
            mark = ""
        print(
            f"  {name:16s} {median(values):8.0f}/s  IQR {iqr(values):>11}"
            f"  range {spread(values):>11}{mark}"
        )
    emit("bench.bulk_submit", figures)


if __name__ == "__main__":
    main()
