"""Benchmark settings: the host project on PostgreSQL plus the ``bench`` task types."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gtf_bench")
os.environ.setdefault("GTF_Q_NAME", "gtfbench")
os.environ.setdefault("GTF_LOG_LEVEL", "WARNING")
# Persistent connections on both sides: Django-Q2's ORM broker closes "old" connections
# before each enqueue, which with CONN_MAX_AGE=0 (the host project's default) means one new
# connection per raw async_task.
os.environ.setdefault("GTF_CONN_MAX_AGE", "600")

from gtf_project.settings import *  # noqa: E402, F403
from gtf_project.settings import DATABASES, GTF, INSTALLED_APPS, Q_CLUSTER  # noqa: E402

INSTALLED_APPS = [a for a in INSTALLED_APPS if a != "gtf_project.demo"] + ["bench"]
# Health checks off for every side: Django-Q2 closes "old" connections before each enqueue,
# result row and task, so with them on raw Django-Q2 pays a SELECT 1 that GTF's submit never
# does. GTF_BENCH_HEALTH_CHECKS=1 measures both sides with them.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("GTF_BENCH_HEALTH_CHECKS") == "1"
GTF = {
    **GTF,
    "EXECUTOR": "tasks_app.worker.executors.django_q.DjangoQExecutor",
    "ABORT_PUSH": os.environ.get("GTF_BENCH_ABORT_PUSH", "1") == "1",
}
# Raw Django-Q2 baseline keeps its result rows (its default); GTF enqueues with save=False.
# The number of workers comes from GTF_Q_WORKERS (the benches' --workers), as in the host.
Q_CLUSTER = {**Q_CLUSTER, "save_limit": 0, "poll": 0.2}
Q_CLUSTER["log_level"] = "WARNING"
if os.environ.get("GTF_BENCH_PLAIN_DJANGO_Q") == "1":
    # The raw baseline: Django-Q2 as a project without GTF configures it.
    Q_CLUSTER.pop("broker_class", None)
ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["*"]
