"""Latency of the first task-list page, filtered by status, through the real API view.

Fills a PostgreSQL database with tasks spread over 1,000 users (COPY), then times
``GET /api/v1/tasks/?status=...`` (each of PENDING, IN_PROGRESS, SUCCESS, FAILURE, and no
filter) for non-staff users and for staff, printing the median, the p95 and the ratio of
the p95 to the 50 ms target. The baseline, timed in the same run in alternating blocks of
requests, is the same view done the plain way: an exact ``COUNT(*)`` and every visible task
sorted (Django's paginator). Each user's first visit, which reads their rows into the
cache, is timed apart. The last line is ``RESULT {json}``; its ``p95_ms`` maps
``user_IN_PROGRESS``, ``staff_all``, ... to the median p95 over the runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gtf_api_bench \\
        python -m bench.api_list --tasks 1000000 --repeat 3

The data is kept between runs: a second run with the same ``--tasks`` only measures
(``--refill`` starts again). Under 100,000 tasks it times fewer requests and users, a smoke
run of seconds.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
ALL = "all"  # the line without a status filter
TYPES = 20
CHUNK = 100_000  # tasks generated, then copied, at a time


def job() -> None:
    """The task types of the bench's rows (nothing runs them)."""


def register_types() -> None:
    """Registers the bench's task types: ``migrate`` ends the pending tasks of unknown types,
    which would turn the PENDING rows of a kept fill into failures."""
    from tasks_app import register

    for n in range(TYPES):
        register(job, name=f"bench.type{n}", scope="private")


def pick(rng: random.Random, table: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def copy_text(value: Any) -> str:
    """``value`` as a field of PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    elif isinstance(value, datetime):
        value = value.isoformat()
    return str(value).translate(COPY_ESCAPES)


class CopyRows:
    """Rows of ``model`` for COPY: every concrete column, those a row does not give taking the
    model's own defaults (a new NOT NULL column with a default needs no change here)."""

    def __init__(self, model: Any, *, with_pk: bool = False) -> None:
        self.model = model
        pk = model._meta.pk
        self.fields = [f for f in model._meta.concrete_fields if with_pk or f is not pk]
        template = model()
        for f in self.fields:  # auto_now(_add) fields take their time here
            setattr(template, f.attname, f.pre_save(template, add=True))
        self.defaults = {f.attname: copy_text(getattr(template, f.attname)) for f in self.fields}
        self.out = io.StringIO()

    def add(self, **given: Any) -> None:
        line = [
            copy_text(given.pop(f.attname)) if f.attname in given else self.defaults[f.attname]
            for f in self.fields
        ]
        if given:
            raise TypeError(f"{self.model.__name__} has no column {', '.join(given)}")
        self.out.write("\t".join(line) + "\n")

    def flush(self, cursor: Any) -> None:
        """COPY the rows added since the last flush (``cursor``: psycopg's own)."""
        columns = ", ".join(f.column for f in self.fields)
        with cursor.copy(f"COPY {self.model._meta.db_table} ({columns}) FROM STDIN") as copy:
            copy.write(self.out.getvalue())
        self.out = io.StringIO()


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
    name = User.USERNAME_FIELD  # any user model: its login field names the bench's users
    User.objects.filter(**{f"{name}__startswith": "bench_"}).delete()
    users = User.objects.bulk_create(
        [User(**{name: f"bench_u{i:04d}"}) for i in range(USERS)]
        + [User(**{name: "bench_staff"}, is_staff=True)]
    )
    user_ids = [u.pk for u in users[:USERS]]
    staff_id = users[-1].pk
    now = datetime.now(UTC)
    tasks, subs, state = CopyRows(Task, with_pk=True), CopyRows(TaskSubscriber), CopyRows(TaskState)
    started = time.perf_counter()
    for i in range(1, n_tasks + 1):
        status, scope = pick(rng, STATUSES), pick(rng, SCOPES)
        creator = staff_id if scope == "system" else rng.choice(user_ids)
        created = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
        finished = status not in ("PENDING", "IN_PROGRESS")
        start = None if status == "PENDING" else created + timedelta(seconds=1)
        end = created + timedelta(seconds=rng.uniform(2, 600)) if finished else None
        pct = None if status == "PENDING" else round(rng.uniform(0, 100), 1)
        tasks.add(
            id=i,
            uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            task_type=f"bench.type{i % TYPES}",
            task_key=f"key-{i}",
            task_name=f"Bench task {i}",
            scope=scope,
            status=status,
            parameters={"n": 1},
            created_by_id=creator,
            created_at=created,
            updated_at=end or start or created,
            started_at=start,
            ended_at=end,
            timeout=3600,
            progress_current=pct,
            progress_total=100 if pct is not None else None,
            progress_percent=pct,
            error_message="boom" if status == "FAILURE" else "",
            error_type="builtins.RuntimeError" if status == "FAILURE" else "",
            attempt=1,
            run_after=created,
        )
        if scope == "shared":
            # The creator and up to three others follow a shared task.
            followers = {creator, *rng.sample(user_ids, rng.randint(0, 3))}
            for uid in followers:
                subs.add(
                    task_id=i,
                    user_id=uid,
                    subscribed_at=created,
                    task_scope=scope,
                    task_created_at=created,
                )
        if i % 10 == 0:
            # One task in ten kept a state entry, expiring 30 days after it was written.
            state.add(
                task_id=i,
                key="cursor",
                value={"page": i},
                version=1,
                updated_at=created,
                expires_at=created + timedelta(days=30),
            )
        if i % CHUNK == 0 or i == n_tasks:
            with connection.cursor() as cur:
                for rows in (tasks, subs, state):
                    rows.flush(cur.cursor)
    with connection.cursor() as cur:
        for model in (Task, TaskSubscriber, TaskState):
            table = model._meta.db_table
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
            cur.execute(f"VACUUM ANALYZE {table}")
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
    query = {} if status == ALL else {"status": status}
    times = []
    for i in range(first, first + count):
        request = factory.get("/api/v1/tasks/", query)
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
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def report(label: str, times: dict[str, list[float]], queries: dict[str, int]) -> float:
    mine, plain, first = times["gtf"], times["plain"], times["first visits"]
    cold = f"first visits p95 {p95(first):6.2f} ms" if len(first) > 1 else ""
    print(
        f"{label:<28} median {statistics.median(mine):6.2f} ms  p95 {p95(mine):6.2f} ms  "
        f"p95/target {p95(mine) / TARGET_MS:4.2f}  ({queries['gtf']} queries)  |  "
        f"baseline p95 {p95(plain):6.2f} ms ({queries['plain']} queries), "
        f"baseline/GTF {p95(plain) / p95(mine):4.1f}x  |  {cold}",
        flush=True,
    )
    return p95(mine)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument(
        "--runs", type=int, help="timed requests per line and side (200; 10 under 100k tasks)"
    )
    parser.add_argument("--block", type=int, default=20, help="requests between switches")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many times")
    parser.add_argument("--refill", action="store_true", help="insert again even if filled")
    parser.add_argument(
        "--statuses",
        default=f"PENDING,IN_PROGRESS,SUCCESS,FAILURE,{ALL}",
        help=f"status filters, '{ALL}' for none",
    )
    args = parser.parse_args()
    small = args.tasks < 100_000
    runs = args.runs or (10 if small else 200)
    block = min(args.block, runs)

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
    register_types()
    call_command("migrate", verbosity=0)
    if args.refill or Task.objects.count() != args.tasks:
        fill(args.tasks)
    User = get_user_model()
    # 100 users (5 on small data), the same ones on every run.
    name = User.USERNAME_FIELD
    members = list(User.objects.filter(**{f"{name}__startswith": "bench_u"}).order_by(name))
    members = members[:: 200 if small else 10]
    staff = [User.objects.get(**{name: "bench_staff"})]
    compared = views()
    lines = [
        (f"{who}_{status}", people, status)
        for status in args.statuses.split(",")
        for who, people in (("user", members), ("staff", staff))
    ]
    queries = {
        label: {name: queries_per_request(v, people[0], status) for name, v in compared.items()}
        for label, people, status in lines
    }
    print(
        f"{args.tasks} tasks, {USERS} users ({len(members)} measured), {runs} requests per "
        f"line and side, alternating every {block}, page size 25, "
        f"target p95 <= {TARGET_MS:.0f} ms",
        flush=True,
    )
    found: dict[str, dict[str, list[float]]] = {
        key: {label: [] for label, _, _ in lines}
        for key in ("p95", "median", "baseline_p95", "baseline_median", "first_visit_p95")
    }
    for run in range(args.repeat):
        if args.repeat > 1:
            print(f"-- run {run + 1} of {args.repeat}", flush=True)
        for label, people, status in lines:
            times = measure(compared, people, status, runs, block)
            report(label, times, queries[label])
            found["p95"][label].append(p95(times["gtf"]))
            found["median"][label].append(statistics.median(times["gtf"]))
            found["baseline_p95"][label].append(p95(times["plain"]))
            found["baseline_median"][label].append(statistics.median(times["plain"]))
            if len(times["first visits"]) > 1:
                found["first_visit_p95"][label].append(p95(times["first visits"]))
    print(f"-- p95 over the {args.repeat} run(s) (GTF | plain baseline)")
    for label, values in found["p95"].items():
        mine, base = summary(values), summary(found["baseline_p95"][label])
        print(
            f"{label:<20} median {mine['median']:6.2f} ms, spread {mine['min']:6.2f}-"
            f"{mine['max']:6.2f} ms: {'meets' if mine['median'] <= TARGET_MS else 'MISSES'}"
            f"  |  baseline median {base['median']:6.2f} ms, spread {base['min']:6.2f}-"
            f"{base['max']:6.2f} ms"
        )
    result = {
        "tasks": args.tasks,
        "target_ms": TARGET_MS,
        "runs": args.repeat,
        "requests_per_line": runs,
        # The median over the runs of each run's p95.
        "p95_ms": {label: summary(v)["median"] for label, v in found["p95"].items()},
        "queries": {label: q["gtf"] for label, q in queries.items()},
        # Per figure and line: the median, least and greatest over the runs.
        "runs_ms": {
            key: {label: summary(v) for label, v in by_line.items() if v}
            for key, by_line in found.items()
        },
    }
    print("RESULT " + json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
