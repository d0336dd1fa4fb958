"""Submit throughput: GTF's ``task_submit`` versus raw ``django_q.tasks.async_task``.

One call per transaction (autocommit), on the broker the settings name (PostgreSQL's ORM broker
by default, Redis with ``REDIS_URL``). The fair raw baseline is ``async_task`` with Django-Q2's
own broker (``broker_class`` unset, as a project without GTF configures it), made once and
reused as GTF reuses its own, on the same connection settings as GTF's side. "Raw as shipped"
is ``async_task`` as projects call it (a new broker per call, connection health checks on);
it is printed, never a ratio's base. Scenarios: keyless, keyed private, keyed shared, and a
join (a second user submitting the key of an active shared task). Every mode runs a block of
``--block`` calls per round, the order rotating each round, in this one process; figures are
the medians of the blocks' rates with their interquartile range and range. Also through the
REST API: ``POST /api/v1/tasks/`` against a minimal DRF view that calls ``async_task`` on the
reused broker (in-process test client, same stack). Target: keyless >= 0.9x the fair raw.

    python -m bench.submit_throughput [--rounds 20] [--block 50] [--api-rounds 10]
"""

from __future__ import annotations

import argparse

from bench.harness import (
    emit,
    interleave,
    iqr,
    is_redis,
    median,
    raw_submit,
    raw_submit_as_shipped,
    reset_queue,
    setup,
    spread,
    verdict,
)

TARGET = 0.9
RAW = "raw async_task"
SHIPPED = "raw as shipped"
# The RESULT key of each mode's figures: rate_<key> and, for GTF's modes, ratio_<key>.
KEYS = {
    RAW: "raw",
    SHIPPED: "raw_as_shipped",
    "keyless": "keyless",
    "keyed private": "keyed",
    "keyed shared": "shared",
    "join (shared)": "join",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="blocks per mode")
    parser.add_argument("--block", type=int, default=50, help="calls per block")
    parser.add_argument("--api-rounds", type=int, default=10, help="blocks per REST mode")
    args = parser.parse_args()
    setup()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from tasks_app.services import SubmitItem, task_submit, task_submit_many

    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench")
    other, _ = User.objects.get_or_create(username="bench2")
    reset_queue()
    # The shared tasks the join mode joins: active (pending, no cluster) for the whole run.
    joinable = args.rounds * args.block
    for start in range(0, joinable, 500):
        task_submit_many(
            items=[
                SubmitItem("bench.shared", options={"task_key": f"join:{i}"})
                for i in range(start, min(start + 500, joinable))
            ],
            user=user,
        )
    joins = iter(range(joinable))

    modes = {
        RAW: lambda i: raw_submit(),
        SHIPPED: lambda i: raw_submit_as_shipped(),
        "keyless": lambda i: task_submit(user=user, task_type="bench.noop", parameters={}),
        "keyed private": lambda i: task_submit(
            user=user, task_type="bench.noop", task_key=f"k:{i}", parameters={}
        ),
        "keyed shared": lambda i: task_submit(
            user=user, task_type="bench.shared", task_key=f"s:{i}", parameters={}
        ),
        "join (shared)": lambda i: task_submit(
            user=other, task_type="bench.shared", task_key=f"join:{next(joins)}", parameters={}
        ),
    }
    for name, call in modes.items():  # warm up: imports, prepared statements, the broker
        if name != "join (shared)":
            for i in range(5):
                call(-1 - i)
    rates = interleave(modes, rounds=args.rounds, block=args.block)

    client = Client()
    client.force_login(user)
    api_modes = {
        "raw DRF view": lambda i: client.post("/bench/raw-submit/"),
        "GTF POST tasks/": lambda i: client.post(
            "/api/v1/tasks/",
            {"task_type": "bench.noop", "parameters": {}},
            content_type="application/json",
        ),
    }
    for call in api_modes.values():  # warm up: URL resolving, serializers, the session
        for i in range(5):
            call(i)
    api = interleave(api_modes, rounds=args.api_rounds, block=args.block)
    reset_queue()

    broker = "Redis" if is_redis() else "ORM (PostgreSQL)"
    base = median(rates[RAW])
    print(
        f"broker: {broker}; {args.rounds} blocks of {args.block} submits per mode, interleaved"
        " (calls/s: median, IQR, range)"
    )
    figures: dict[str, object] = {"broker": "redis" if is_redis() else "orm"}
    for name, values in rates.items():
        ratio = median(values) / base
        figures[f"rate_{KEYS[name]}"] = round(median(values))
        mark = ""
        if name == SHIPPED:
            mark = f"  shipped/fair raw {ratio:.2f} (not a baseline)"
            figures["ratio_raw_as_shipped"] = round(ratio, 3)
        elif name != RAW:
            mark = f"  GTF/raw {ratio:.2f}"
            mark += f" ({verdict(ratio, TARGET)} {TARGET})" if name == "keyless" else ""
            figures[f"ratio_{KEYS[name]}"] = round(ratio, 3)
        print(
            f"  {name:16s} {median(values):7.0f}/s  IQR {iqr(values):>11}"
            f"  range {spread(values):>11}{mark}"
        )
    api_base = median(api["raw DRF view"])
    print(f"REST API ({args.api_rounds} blocks of {args.block} requests, in-process client):")
    for name, values in api.items():
        ratio = median(values) / api_base
        print(
            f"  {name:16s} {median(values):7.0f}/s  IQR {iqr(values):>11}"
            f"  range {spread(values):>11}  ratio {ratio:.2f}"
        )
    figures["ratio_api"] = round(median(api["GTF POST tasks/"]) / api_base, 3)
    figures["rate_api_raw"] = round(api_base)
    figures["rate_api"] = round(median(api["GTF POST tasks/"]))
    emit("bench.submit_throughput", figures)


if __name__ == "__main__":
    main()
