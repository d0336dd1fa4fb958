"""Set/get operations per second: the task state store versus a plain JSONField model.

    python -m bench.state_ops [--keys 500]      # DATABASE_URL=sqlite:///... for SQLite

Both run in the same process on the bench settings, against the database of ``DATABASE_URL``
(``gtf_bench`` on the local PostgreSQL by default; migrated first; the baseline's table is
created for the run and dropped after it). Within a round the two sides take turns every
``--chunk`` operations (alternating who goes first), so both see the same drift of a shared
machine; the median of the per-round ratios counts, and their spread
is printed. The store's set validates, encodes, locks the row and bumps its version; the
baseline is ``update_or_create`` / ``get`` of a model with a JSONField. Target: the store
reaches at least 0.8x the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

TARGET = 0.8
from django.db import connection, models  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


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


def count_statements(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def elapsed(fn, chunk: list[str], p: int) -> float:
    start = time.perf_counter()
    fn(chunk, p)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--passes", type=int, default=3, help="writes per key per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=50, help="operations between switches")
    args = parser.parse_args()

    from django.core.management import call_command

    settings.DEBUG = False  # do not keep every query in memory
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PlainJSON._meta.db_table}")
    with connection.schema_editor() as editor:
        editor.create_model(PlainJSON)
    try:
        run(args)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(PlainJSON)


def run(args) -> None:
    from bench.harness import emit
    from state_app.stores import TaskStateStore
    from tasks_app.models import Task

    keys = [f"key-{i}" for i in range(args.keys)]
    chunks = [keys[i : i + args.chunk] for i in range(0, len(keys), args.chunk)]
    ops = args.keys * args.passes
    rates: dict[str, list[float]] = {
        k: [] for k in ("store set", "plain set", "store get", "plain get")
    }
    ratios: dict[str, list[float]] = {"set": [], "get": []}
    print(
        f"{connection.vendor}, {args.keys} keys x {args.passes} ops, {args.rounds} rounds, "
        f"the two sides alternating every {args.chunk} operations"
    )
    for r in range(args.rounds):
        task = Task.objects.create(task_type="bench", task_key=f"b{r}", scope="private")
        store = TaskStateStore(task.pk)
        sides = {
            "set": (
                lambda chunk, p, s=store: [s.set(k, value_for(p)) for k in chunk],
                lambda chunk, p, o=task.pk: [
                    PlainJSON.objects.update_or_create(
                        owner=o, key=k, defaults={"value": value_for(p)}
                    )
                    for k in chunk
                ],
            ),
            "get": (
                lambda chunk, p, s=store: [s.get(k) for k in chunk],
                lambda chunk, p, o=task.pk: [
                    PlainJSON.objects.get(owner=o, key=k).value for k in chunk
                ],
            ),
        }
        for op, (mine, plain) in sides.items():
            spent = {mine: 0.0, plain: 0.0}
            for p in range(args.passes):
                for n, chunk in enumerate(chunks):
                    # Alternate who goes first: both sides see the same drift of the machine.
                    for fn in (mine, plain) if (n + p + r) % 2 == 0 else (plain, mine):
                        spent[fn] += elapsed(fn, chunk, p)
            rates[f"store {op}"].append(ops / spent[mine])
            rates[f"plain {op}"].append(ops / spent[plain])
            ratios[op].append(spent[plain] / spent[mine])
        if r == 0:
            statements = {
                "store set": count_statements(lambda s=store: s.set(keys[0], value_for(0))),
                "plain set": count_statements(
                    lambda o=task.pk: PlainJSON.objects.update_or_create(
                        owner=o, key=keys[0], defaults={"value": value_for(0)}
                    )
                ),
                "store get": count_statements(lambda s=store: s.get(keys[0])),
                "plain get": count_statements(
                    lambda o=task.pk: PlainJSON.objects.get(owner=o, key=keys[0])
                ),
            }
        task.delete()
    print(
        "statements per operation (BEGIN and COMMIT included): "
        + ", ".join(f"{name} {n}" for name, n in statements.items())
    )
    for name, values in rates.items():
        print(f"{name:>10}: median {statistics.median(values):7.0f} ops/s, best {max(values):7.0f}")
    figures: dict[str, object] = {"database": connection.vendor}
    for op, values in ratios.items():
        ratio = statistics.median(values)
        figures[f"ratio_{op}"] = round(ratio, 3)
        figures[f"rate_{op}"] = round(statistics.median(rates[f"store {op}"]))
        figures[f"rate_{op}_plain"] = round(statistics.median(rates[f"plain {op}"]))
        verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
        spread = ", ".join(f"{v:.2f}" for v in sorted(values))
        print(
            f"{op} store/plain: median {ratio:.2f}, spread {min(values):.2f}-{max(values):.2f} "
            f"(rounds: {spread}), target >= {TARGET}: {verdict}"
        )
    emit("bench.state_ops", figures)


if __name__ == "__main__":
    main()
