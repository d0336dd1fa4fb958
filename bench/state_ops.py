"""Set/get operations per second: the task state store versus a plain JSONField model.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gtf python bench/state_ops.py [--keys 500]

Both run in the same process against the same (temporary) database. Each round times the
two back to back (alternating which goes first); the median of the per-round ratios counts,
which cancels most of the drift of a shared machine. The store's set validates, encodes
and bumps the version in the database; the baseline is ``update_or_create`` / ``get`` of a
model with a JSONField. Target: the store reaches at least 0.8x the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, models  # noqa: E402


class PlainJSON(models.Model):
    """The baseline: one row per key, a JSONField value, nothing else."""

    owner = models.BigIntegerField()
    key = models.CharField(max_length=200)
    value = models.JSONField()

    class Meta:
        app_label = "state_app"
        db_table = "bench_plain_json"
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="bench_plain_uq")]

    def __str__(self) -> str:
        return self.key


def value_for(i: int) -> dict:
    return {"n": i, "cursor": f"page-{i}", "ids": [i, i + 1, i + 2], "done": False}


def timed(fn, ops: int) -> float:
    start = time.perf_counter()
    fn()
    return ops / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--passes", type=int, default=3, help="writes per key per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench"
    old_name = connection.creation.create_test_db(
        verbosity=0, keepdb=False, serialize=False, autoclobber=True
    )
    try:
        with connection.schema_editor() as editor:
            editor.create_model(PlainJSON)
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from state_app.stores import TaskStateStore
    from tasks_app.models import Task

    keys = [f"key-{i}" for i in range(args.keys)]
    ops = args.keys * args.passes
    rates: dict[str, list[float]] = {
        k: [] for k in ("store set", "plain set", "store get", "plain get")
    }
    ratios: dict[str, list[float]] = {"set": [], "get": []}
    print(f"{connection.vendor}, {args.keys} keys x {args.passes} ops, {args.rounds} rounds")
    for r in range(args.rounds):
        task = Task.objects.create(task_type="bench", task_key=f"b{r}", scope="private")
        store = TaskStateStore(task.pk)

        def store_set(store=store):
            for p in range(args.passes):
                for i, key in enumerate(keys):
                    store.set(key, value_for(i + p))

        def plain_set(owner=task.pk):
            for p in range(args.passes):
                for i, key in enumerate(keys):
                    PlainJSON.objects.update_or_create(
                        owner=owner, key=key, defaults={"value": value_for(i + p)}
                    )

        def store_get(store=store):
            return [store.get(key) for _ in range(args.passes) for key in keys]

        def plain_get(owner=task.pk):
            get = PlainJSON.objects.get
            return [get(owner=owner, key=key).value for _ in range(args.passes) for key in keys]

        for op, mine, plain in (("set", store_set, plain_set), ("get", store_get, plain_get)):
            # Alternate who goes first; pair each round's two runs to cancel machine drift.
            pair = (mine, plain) if r % 2 == 0 else (plain, mine)
            measured = {fn: timed(fn, ops) for fn in pair}
            rates[f"store {op}"].append(measured[mine])
            rates[f"plain {op}"].append(measured[plain])
            ratios[op].append(measured[mine] / measured[plain])
    for name, values in rates.items():
        print(f"{name:>10}: median {statistics.median(values):7.0f} ops/s, best {max(values):7.0f}")
    for op, values in ratios.items():
        ratio = statistics.median(values)
        verdict = "ok" if ratio >= 0.8 else "BELOW TARGET"
        spread = ", ".join(f"{v:.2f}" for v in values)
        print(f"{op} store/plain: median {ratio:.2f} (rounds: {spread}) target >= 0.80: {verdict}")


if __name__ == "__main__":
    main()
