"""The query plan of each query that reads tasks by an index, on the data of api_list.py.

Prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every query the list pages (the page, the capped
count and the estimate of the API's first page, for a user and for staff, of each status
and none), the reaper, pruning, dedup, lookups and deletes send, with the indexes each plan
uses, its execution time and the buffers it read; then every index of the task and
subscriber tables that no plan used. Run it after ``bench/api_list.py`` filled the database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gtf_api_bench python -m bench.list_plans
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
INDEX = re.compile(r"(?:Index|Index Only|Bitmap Index) Scan(?: Backward)? (?:using|on) (\w+)")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtf_project.settings")
LIST_STATUSES = ("PENDING", "IN_PROGRESS", "SUCCESS", "FAILURE")


def part_of(sql: str) -> str:
    """What a statement of a list page reads."""
    if sql.startswith("EXPLAIN"):
        return "estimate"
    if sql.startswith("SELECT COUNT(*)"):
        return "count"
    return "page and count" if "counted) AS" in sql else "page"


def queries():
    """(label, SQL, params) of each query, as the code builds it."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from state_app.models import TaskState
    from tasks_app.conf import conf
    from tasks_app.enums import TaskStatus
    from tasks_app.models import Task, TaskSubscriber
    from tasks_app.ops.pruning import prunable
    from tasks_app.paging import CappedPaginator
    from tasks_app.selectors import TaskListing

    users, name = get_user_model().objects, get_user_model().USERNAME_FIELD
    member, staff = users.get(**{name: "bench_u0007"}), users.get(**{name: "bench_staff"})
    now = timezone.now()
    some = Task.objects.order_by("id").values("uuid", "task_key").first()
    followed = TaskSubscriber.objects.order_by("id").values_list("task_id", flat=True).first()

    def sql_of(qs):
        sql, params = qs.query.get_compiler(qs.db).as_sql()
        return sql, params

    def captured(fn):
        with CaptureQueriesContext(connection) as seen:
            fn()
        return [(q["sql"], ()) for q in seen.captured_queries]

    def listing(user, tasks):
        """The statements of the API's first page: the page, the capped count, the estimate."""
        listing = TaskListing(user=user, tasks=tasks)
        paginator = CappedPaginator(listing, 25, cap=conf.LIST_COUNT_CAP)
        return captured(lambda: (paginator.page(1), paginator.count))

    S = TaskStatus
    lines = [(status, Task.objects.filter(status=status)) for status in LIST_STATUSES]
    for who, user in (("user's", member), ("staff", staff)):
        for status, tasks in [*lines, ("no filter", Task.objects.all())]:
            for sql, params in listing(user, tasks):
                yield f"{who} {part_of(sql)}, status={status}", sql, params
    for label, tasks in (
        ("staff page, task_type filter", Task.objects.filter(task_type="bench.type3")),
        ("staff page, scope=system", Task.objects.filter(scope="system")),
        ("staff page, task_key filter", Task.objects.filter(task_key=some["task_key"])),
        (
            "staff page, updated_after",
            Task.objects.filter(updated_at__gte=now - timedelta(hours=1)),
        ),
    ):
        for sql, params in listing(staff, tasks):
            yield f"{label} [{part_of(sql)}]", sql, params
    yield (
        "status poll (visible_to + uuid)",
        *sql_of(Task.objects.visible_to(member).filter(uuid=some["uuid"]).values("status")),
    )
    yield "submit: dedup lookup", *sql_of(Task.objects.filter(dedup_key="0" * 64)[:1])
    yield "worker: task by uuid", *sql_of(Task.objects.filter(uuid=some["uuid"])[:1])
    yield (
        "reaper: stale running tasks",
        *sql_of(
            Task.objects.filter(
                status__in=[S.IN_PROGRESS, S.ABORTING], heartbeat_at__lt=now - timedelta(minutes=1)
            ).order_by("heartbeat_at")[:500]
        ),
    )
    yield (
        "reaper: old pending tasks",
        *sql_of(
            Task.objects.filter(
                status=S.PENDING, created_at__lt=now - timedelta(minutes=5)
            ).order_by("created_at")[:500]
        ),
    )
    yield (
        "task types: pending tasks of a type",
        *sql_of(
            Task.objects.filter(status=S.PENDING, task_type__in=["bench.type3"]).order_by(
                "created_at"
            )[:500]
        ),
    )
    yield (
        "pruning: a batch of finished tasks",
        *sql_of(prunable(older_than_days=89).order_by("ended_at", "pk").values_list("pk")[:1000]),
    )
    yield (
        "delete a user: their subscriptions",
        *sql_of(TaskSubscriber.objects.filter(user_id=member.pk).values("pk")),
    )
    yield (
        "delete a user: their tasks lose their creator",
        *sql_of(Task.objects.filter(created_by_id=member.pk).values("pk")),
    )
    yield (
        "delete a task: its subscribers",
        *sql_of(TaskSubscriber.objects.filter(task_id=followed).values("pk")),
    )
    yield (
        "subscribers of a task (page)",
        *sql_of(
            TaskSubscriber.objects.filter(task_id=followed).order_by("subscribed_at", "id")[:26]
        ),
    )
    # Entries expire 60 days ago to 30 days ahead; run hourly, cleanup finds the last hour's.
    cleaned = now - timedelta(days=59, hours=23)
    yield (
        "state cleanup: an hour's expired entries",
        *sql_of(TaskState.objects.expired(cleaned).order_by("pk").values_list("pk")[:1000]),
    )
    yield (
        "state get/set: an entry by task and key",
        *sql_of(
            TaskState.objects.filter(task_id=10, key="cursor").values_list("value", "expires_at")[
                :1
            ]
        ),
    )


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to the PostgreSQL database api_list.py filled.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelname FROM pg_stat_user_indexes WHERE relname IN "
            "('tasks_app_task', 'tasks_app_tasksubscriber', 'state_app_taskstate')"
        )
        indexes = {row[0] for row in cursor.fetchall()}
        used: set[str] = set()
        figures: dict[str, dict] = {}
        for label, sql, params in queries():
            if sql.startswith("EXPLAIN"):  # the planner's estimate: nothing to read
                print(f"== {label}: the planner's estimate, no row read")
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
            names = sorted({m for line in plan for m in INDEX.findall(line)})
            used.update(names)
            buffers = next((line.strip() for line in plan if "Buffers:" in line), "")
            took = next((line.strip() for line in plan if line.startswith("Execution")), "")
            print(f"== {label}: {', '.join(names) or 'no index'} | {took}, {buffers}")
            print("\n".join(f"   {line}" for line in plan))
            ms = re.search(r"([\d.]+) ms", took)
            figures[label] = {"indexes": names, "execution_ms": float(ms[1]) if ms else None}
    unused = sorted(indexes - used)
    print("== indexes no plan used:", ", ".join(unused) or "none")
    summary = {"bench": "bench.list_plans", "plans": figures, "unused_indexes": unused}
    print(f"RESULT {json.dumps(summary, sort_keys=True)}", flush=True)


if __name__ == "__main__":
    main()
