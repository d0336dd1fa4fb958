"""A function of Django's tasks API in a module GTF does not discover (``jobs.py``) runs on a
real cluster whose workers never imported that module: enqueued while the cluster runs, and
waiting from before the cluster started."""

import pytest
from django.db import connection

from tasks_app.backends.compat import TaskResultStatus
from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, qcluster, wait_for

pytestmark = [pytest.mark.qcluster, pytest.mark.django_db(transaction=True)]
SUCCESSFUL = TaskResultStatus.SUCCESSFUL


@pytest.fixture
def on_cluster(settings):
    settings.GTF = {**settings.GTF, **FAST_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    yield
    connection.close()


def finished(result):
    result.refresh()
    connection.close()  # SQLite: never hold a read lock the workers wait on
    return result.is_finished


def test_enqueued_while_the_cluster_runs(tmp_path, user, on_cluster, jobs):
    with qcluster(events_dir=tmp_path, workers=1, log=tmp_path / "q.log"):
        ready = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
        connection.close()
        wait_for(
            lambda: Task.objects.filter(pk=ready.pk, status=TaskStatus.SUCCESS).exists(),
            timeout=40,
            what="the worker to be up",
        )
        result = jobs.multiply.enqueue(6, 7)
        connection.close()
        wait_for(lambda: finished(result), timeout=40, what="the jobs.py task")
    assert result.status == SUCCESSFUL, result.errors
    assert result.return_value == 42


def test_waiting_from_before_the_cluster_started(tmp_path, on_cluster, jobs):
    result = jobs.multiply.enqueue(3, 5)
    connection.close()
    # A worker's start-up sync must not take it for a task of a type no code registers.
    with qcluster(events_dir=tmp_path, workers=1, log=tmp_path / "q.log"):
        wait_for(lambda: finished(result), timeout=40, what="the jobs.py task")
    assert result.status == SUCCESSFUL, result.errors
    assert result.return_value == 15
