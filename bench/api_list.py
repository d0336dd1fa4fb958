"""Latency of the first task-list page, filtered by status, through the real API view.

Fills a PostgreSQL database with tasks spread over 1,000 users (COPY), then times
``GET /api/v1/tasks/?status=...`` for non-staff users and for staff, printing the median,
the p95 and the ratio of the p95 to the 50 ms target. The baseline, timed in the same run
in alternating blocks of requests, is the same view done the plain way: an exact
``COUNT(*)`` and every visible task sorted (Django's paginator). Each user's first visit,
which reads their rows into the cache, is timed apart.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gtf_api_bench \\
        python bench/api_list.py --tasks 1000000 --repeat 3

The data is kept between runs: a second run with the same ``--tasks`` only measures
(``--refill`` starts again).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtf_project.settings")

TARGET_MS = 50.0
USERS = 1000
STATUSES = [  # (status, share of all tasks)
    ("SUCCESS", 0.80),
    ("FAILURE", 0.08),
    ("ABORTED", 0.04),
    ("TIMED_OUT", 0.02),
    ("IN_PROGRESS", 0.03),
    ("PENDING", 0.03),
]
SCOPES = [("private", 0.70), ("shared", 0.25), ("system", 0.05)]
TASK_COLUMNS = (
    "id, uuid, task_type, task_key, task_name, scope, status, parameters, payload, "
    "created_by_id, created_at, updated_at, started_at, ended_at, timeout, progress_current, "
    "progress_total, progress_percent, is_abortable, error_message, error_type, "
    "error_traceback, attempt, worker_id"
)


def pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def fill(n_tasks: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from state_app.models import TaskState
    from tasks_app.models import Task, TaskSubscriber

    User = get_user_model()
    rng = random.Random(42)
    with connection.cursor() as cur:
        cur.execute(
            # CASCADE: other apps' tables (task state, ...) reference tasks.
            f"TRUNCATE {TaskSubscriber._meta.db_table}, {Task._meta.db_table} "
            "RESTART IDENTITY CASCADE"
        )
    User.objects.filter(username__startswith="bench_").delete()
    users = User.objects.bulk_create(
        [User(username=f"bench_u{i:04d}") for i in range(USERS)]
        + [User(username="bench_staff", is_staff=True)]
    )
    user_ids = [u.pk for u in users[:USERS]]
    staff_id = users[-1].pk
    now = datetime.now(UTC)
    tasks, subs, state = io.StringIO(), io.StringIO(), io.StringIO()
    started = time.perf_counter()
    for i in range(1, n_tasks + 1):
        status, scope = pick(rng, STATUSES), pick(rng, SCOPES)
        creator = staff_id if scope == "system" else rng.choice(user_ids)
        created = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
        finished = status not in ("PENDING", "IN_PROGRESS")
        start = "" if status == "PENDING" else (created + timedelta(seconds=1)).isoformat()
        end = (created + timedelta(seconds=rng.uniform(2, 600))).isoformat() if finished else ""
        pct = "" if status == "PENDING" else f"{rng.uniform(0, 100):.1f}"
        tasks.write(
            "\t".join(
                [
                    str(i),
                    str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    f"bench.type{i % 20}",
                    f"key-{i}",
                    f"Bench task {i}",
                    scope,
                    status,
                    '{"n": 1}',
                    "{}",
                    str(creator),
                    created.isoformat(),
                    (end or start or created.isoformat()),
                    start or r"\N",
                    end or r"\N",
                    "3600",
                    pct or r"\N",
                    "100" if pct else r"\N",
                    pct or r"\N",
                    "f",
                    "boom" if status == "FAILURE" else "",
                    "builtins.RuntimeError" if status == "FAILURE" else "",
                    "",
                    "1",
                    "",
                ]
            )
            + "\n"
        )
        if scope == "shared":
            # The creator and up to three others follow a shared task.
            followers = {creator, *rng.sample(user_ids, rng.randint(0, 3))}
            for uid in followers:
                subs.write(f"{i}\t{uid}\t{created.isoformat()}\t{scope}\t{created.isoformat()}\n")
        if i % 10 == 0:
            # One task in ten kept a state entry, expiring 30 days after it was written.
            expires = (created + timedelta(days=30)).isoformat()
            state.write(f'{i}\tcursor\t{{"page": {i}}}\t1\t{created.isoformat()}\t{expires}\n')
    with connection.cursor() as cur:
        raw = cur.cursor
        with raw.copy(f"COPY {Task._meta.db_table} ({TASK_COLUMNS}) FROM STDIN") as copy:
            copy.write(tasks.getvalue())
        with raw.copy(
            f"COPY {TaskSubscriber._meta.db_table} "
            "(task_id, user_id, subscribed_at, task_scope, task_created_at) FROM STDIN"
        ) as copy:
            copy.write(subs.getvalue())
        with raw.copy(
            f"COPY {TaskState._meta.db_table} "
            "(task_id, key, value, version, updated_at, expires_at) FROM STDIN"
        ) as copy:
            copy.write(state.getvalue())
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{Task._meta.db_table}', 'id'), %s)",
            [n_tasks],
        )
        cur.execute(f"VACUUM ANALYZE {Task._meta.db_table}")
        cur.execute(f"VACUUM ANALYZE {TaskSubscriber._meta.db_table}")
        cur.execute(f"VACUUM ANALYZE {TaskState._meta.db_table}")
    print(f"inserted {n_tasks} tasks in {time.perf_counter() - started:.1f} s")


def views():
    """The view under test and the baseline: the same view, paginated and filtered the
    plain way."""
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework import generics

    from tasks_app import selectors
    from tasks_app.api.base import GTFAPIMixin, GTFPagination
    from tasks_app.api.filters import TaskFilter
    from tasks_app.api.serializers import TaskSerializer
    from tasks_app.api.views import TaskViewSet
    from tasks_app.models import Task, TaskSubscriber

    class PlainTaskList(GTFAPIMixin, generics.ListAPIView):
        serializer_class = TaskSerializer
        pagination_class = GTFPagination
        filter_backends = [DjangoFilterBackend]
        filterset_class = TaskFilter

        def get_queryset(self):
            user = self.request.user
            if user.is_staff:
                return selectors.with_list_columns(Task.objects.all(), user=user)
            own = Task.objects.filter(scope="private", created_by_id=user.pk).values("id")
            followed = TaskSubscriber.objects.filter(user_id=user.pk, task__scope="shared")
            ids = own.union(followed.values("task_id"), all=True)
            return selectors.with_list_columns(Task.objects.filter(id__in=ids), user=user)

    return {"gtf": TaskViewSet.as_view({"get": "list"}), "plain": PlainTaskList.as_view()}


def request_times(view, users, status: str, first: int, count: int) -> list[float]:
    from rest_framework.test import APIRequestFactory, force_authenticate

    factory = APIRequestFactory()
    times = []
    for i in range(first, first + count):
        request = factory.get("/api/v1/tasks/", {"status": status})
        force_authenticate(request, users[i % len(users)])
        t0 = time.perf_counter()
        response = view(request)
        response.render()
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content
    return times


def queries_per_request(view, user, status: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        request_times(view, [user], status, 0, 1)
    return len(captured.captured_queries)


def measure(views, users, status: str, runs: int, block: int) -> dict[str, list[float]]:
    """``runs`` timed requests of each view, in alternating blocks over the same users,
    after each user's first visit (timed apart: it reads their rows into the cache)."""
    times: dict[str, list[float]] = {"first visits": []}
    for name, view in views.items():
        visits = request_times(view, users, status, 0, len(users))
        if name == "gtf":
            times["first visits"] = visits
        times[name] = []
    for n, first in enumerate(range(0, runs, block)):
        order = list(views) if n % 2 == 0 else list(reversed(views))
        for name in order:
            times[name] += request_times(views[name], users, status, first, block)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def report(label: str, times: dict[str, list[float]], queries: dict[str, int]) -> float:
    mine, plain, first = times["gtf"], times["plain"], times["first visits"]
    cold = f"first visits p95 {p95(first):6.2f} ms" if len(first) > 1 else ""
    print(
        f"{label:<28} median {statistics.median(mine):6.2f} ms  p95 {p95(mine):6.2f} ms  "
        f"p95/target {p95(mine) / TARGET_MS:4.2f}  ({queries['gtf']} queries)  |  "
        f"baseline p95 {p95(plain):6.2f} ms ({queries['plain']} queries), "
        f"baseline/GTF {p95(plain) / p95(mine):4.1f}x  |  {cold}"
    )
    return p95(mine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="timed requests per line and side")
    parser.add_argument("--block", type=int, default=20, help="requests between switches")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many times")
    parser.add_argument("--refill", action="store_true", help="insert again even if filled")
    parser.add_argument("--statuses", default="SUCCESS,IN_PROGRESS")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from tasks_app.models import Task

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (e.g. .../gtf_api_bench).")
    settings.DEBUG = False  # do not keep every query in memory
    call_command("migrate", verbosity=0)
    if args.refill or Task.objects.count() != args.tasks:
        fill(args.tasks)
    User = get_user_model()
    # 100 users, the same ones on every run.
    members = list(User.objects.filter(username__startswith="bench_u").order_by("username"))
    members = members[::10]
    staff = [User.objects.get(username="bench_staff")]
    compared = views()
    lines = [
        (f"{who}, status={status}", people, status)
        for status in args.statuses.split(",")
        for who, people in (("non-staff", members), ("staff", staff))
    ]
    queries = {
        label: {name: queries_per_request(v, people[0], status) for name, v in compared.items()}
        for label, people, status in lines
    }
    print(
        f"{args.tasks} tasks, {USERS} users, {args.runs} requests per line and side, "
        f"alternating every {args.block}, page size 25, target p95 <= {TARGET_MS:.0f} ms"
    )
    p95s: dict[str, list[float]] = {label: [] for label, _, _ in lines}
    for run in range(args.repeat):
        if args.repeat > 1:
            print(f"-- run {run + 1} of {args.repeat}")
        for label, people, status in lines:
            times = measure(compared, people, status, args.runs, args.block)
            p95s[label].append(report(label, times, queries[label]))
    if args.repeat > 1:
        print("-- p95 over the runs (GTF)")
        for label, values in p95s.items():
            median = statistics.median(values)
            print(
                f"{label:<28} median {median:6.2f} ms, spread {min(values):6.2f}-"
                f"{max(values):6.2f} ms, p95/target {median / TARGET_MS:4.2f}: "
                f"{'meets' if median <= TARGET_MS else 'MISSES'}"
            )


if __name__ == "__main__":
    main()
