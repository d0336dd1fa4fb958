"""Pruning finished tasks in batches, and its periodic job."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule as QSchedule

from tasks_app.extensions import periodic_jobs
from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tasks_app.ops.maintenance import install_periodic_jobs
from tasks_app.ops.pruning import prune
from tests.qcluster import DJANGO_Q_EXECUTOR

pytestmark = pytest.mark.django_db
S = TaskStatus


def make(days_ago, status=S.SUCCESS, key=None):
    return Task.objects.create(
        task_type="t.add",
        task_key=key or f"{status}{days_ago}{Task.objects.count()}",
        scope="shared",
        status=status,
        ended_at=timezone.now() - timedelta(days=days_ago) if days_ago is not None else None,
    )


def test_prunes_only_finished_tasks_older_than_retention(settings, user):
    settings.GTF = {**settings.GTF, "RETENTION_DAYS": 7}
    old = [make(8, s) for s in (S.SUCCESS, S.FAILURE, S.ABORTED, S.TIMED_OUT)]
    TaskSubscriber.objects.create(task=old[0], user=user)
    kept = [make(6), make(None, S.PENDING), make(None, S.IN_PROGRESS)]
    assert prune() == 4
    assert set(Task.objects.all()) == set(kept)
    assert not TaskSubscriber.objects.exists()


def test_prunes_in_batches(settings):
    settings.GTF = {**settings.GTF, "RETENTION_DAYS": 1, "PRUNE_BATCH_SIZE": 2}
    for _ in range(5):
        make(3)
    with CaptureQueriesContext(connection) as queries:
        assert prune() == 5
    table = connection.ops.quote_name(Task._meta.db_table)  # "…" or `…` (MariaDB)
    deletes = [q for q in queries if q["sql"].startswith(f"DELETE FROM {table}")]
    assert len(deletes) == 3  # 2 + 2 + 1
    assert not Task.objects.exists()


def test_retention_none_keeps_everything(settings):
    settings.GTF = {**settings.GTF, "RETENTION_DAYS": None}
    make(1000)
    assert prune() == 0 and Task.objects.count() == 1
    assert prune(older_than_days=30) == 1  # an explicit age still prunes


def test_dry_run_counts_only(settings):
    make(40)
    assert prune(dry_run=True) == 1 and Task.objects.count() == 1


def test_prune_is_a_django_q_schedule(settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    assert any(j.name == "gtf.prune" for j in periodic_jobs())
    QSchedule.objects.filter(name="gtf.prune").delete()
    install_periodic_jobs()
    job = QSchedule.objects.get(name="gtf.prune")
    assert (
        job.func == "tasks_app.ops.pruning.prune_periodic"
        and job.schedule_type == QSchedule.MINUTES
    )
