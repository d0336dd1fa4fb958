"""Submit throughput: GTF's ``task_submit`` versus raw ``django_q.tasks.async_task``.

One call per transaction (autocommit), on the broker the settings name (PostgreSQL's ORM broker
by default, Redis with ``REDIS_URL``), alternating GTF and raw in each round so both see the
same machine. Raw Django-Q2 runs with its own broker (``broker_class`` unset), as a project
without GTF would. Scenarios: keyless, keyed private, keyed shared, and a join (a second
user submitting a shared key that is active). Also through the REST API: ``POST /api/v1/tasks/``
against a minimal DRF view that calls ``async_task`` (in-process test client, same stack).
Targets: >= 0.9x raw on the ORM broker, >= 0.8x on Redis.

    python -m bench.submit_throughput [--count 2000] [--rounds 5] [--api-count 500]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import time
from collections.abc import Callable, Iterator

from bench.harness import median, reset_queue, setup, spread, verdict


@contextlib.contextmanager
def plain_django_q() -> Iterator[None]:
    """Django-Q2 as a project without GTF configures it: its own broker class."""
    from django_q.conf import Conf

    saved = Conf.BROKER_CLASS
    Conf.BROKER_CLASS = None
    try:
        yield
    finally:
        Conf.BROKER_CLASS = saved


def rate(call: Callable[[int], None], count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        call(i)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="submits per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--api-count", type=int, default=500)
    args = parser.parse_args()
    setup()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_q.tasks import async_task

    from tasks_app.services import task_submit

    redis = bool(settings.Q_CLUSTER.get("redis"))
    target = 0.8 if redis else 0.9
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench")
    other, _ = User.objects.get_or_create(username="bench2")
    run = itertools.count()

    def raw(i: int) -> None:
        async_task("bench.tasks.raw_noop")

    def keyless(i: int) -> None:
        task_submit(user=user, task_type="bench.noop", parameters={})

    def keyed(i: int) -> None:
        task_submit(user=user, task_type="bench.noop", task_key=f"{tag}:{i}", parameters={})

    def shared(i: int) -> None:
        task_submit(user=user, task_type="bench.shared", task_key=f"{tag}:{i}", parameters={})

    def join(i: int) -> None:
        task_submit(user=other, task_type="bench.shared", task_key=f"{tag}:{i}", parameters={})

    rates: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        reset_queue()
        tag = f"r{next(run)}"
        with plain_django_q():
            rates.setdefault("raw async_task", []).append(rate(raw, args.count))
        for name, call in (
            ("keyless", keyless),
            ("keyed private", keyed),
            ("keyed shared", shared),
        ):
            rates.setdefault(name, []).append(rate(call, args.count))
        rates.setdefault("join (shared)", []).append(rate(join, args.count))  # keys of "shared"

    api = {"raw DRF view": [], "GTF POST tasks/": []}
    client = Client()
    client.force_login(user)
    for _ in range(args.rounds):
        reset_queue()
        with plain_django_q():
            api["raw DRF view"].append(
                rate(lambda i: client.post("/bench/raw-submit/"), args.api_count)
            )
        api["GTF POST tasks/"].append(
            rate(
                lambda i: client.post(
                    "/api/v1/tasks/",
                    {"task_type": "bench.noop", "parameters": {}},
                    content_type="application/json",
                ),
                args.api_count,
            )
        )
    reset_queue()

    broker = "Redis" if redis else "ORM (PostgreSQL)"
    base = median(rates["raw async_task"])
    print(
        f"broker: {broker}; {args.count} submits per round, {args.rounds} rounds (median, spread)"
    )
    for name, values in rates.items():
        ratio = median(values) / base
        mark = (
            ""
            if name == "raw async_task"
            else f"  ratio {ratio:.2f} ({verdict(ratio, target)} {target})"
        )
        print(f"  {name:16s} {median(values):7.0f}/s  [{spread(values)}]{mark}")
    api_base = median(api["raw DRF view"])
    print(f"REST API ({args.api_count} requests per round, in-process client):")
    for name, values in api.items():
        ratio = median(values) / api_base
        print(f"  {name:16s} {median(values):7.0f}/s  [{spread(values)}]  ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
