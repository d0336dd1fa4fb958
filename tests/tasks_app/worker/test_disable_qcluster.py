"""Disabling a type on a real Django-Q2 cluster: a pending task never starts, whatever the
worker process read of the switch before; enabling it again lets the next task run."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tasks_app.models import Task, TaskStatus
from tasks_app.ops import task_types as types
from tasks_app.services import task_submit
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, qcluster, wait_for

pytestmark = [pytest.mark.qcluster, pytest.mark.django_db(transaction=True)]
S = TaskStatus
TERMINAL = {S.SUCCESS, S.FAILURE, S.ABORTED, S.TIMED_OUT}
# Long enough that a worker's per-process view of the switch would still be the old one.
SLOW_SWITCH = {"HEARTBEAT_INTERVAL": 20.0, "STALE_AFTER": 60.0}


@pytest.fixture
def on_cluster(settings):
    settings.GTF = {**settings.GTF, **FAST_GTF, **SLOW_SWITCH, "EXECUTOR": DJANGO_Q_EXECUTOR}
    yield
    connection.close()


def ended(task: Task) -> bool:
    task.refresh_from_db()
    connection.close()  # SQLite: never hold a read lock the workers wait on
    return task.status in TERMINAL


def test_a_type_disabled_while_its_task_waits_stops_it_and_enabling_runs_the_next(
    tmp_path, user, on_cluster
):
    with qcluster(events_dir=tmp_path, workers=1, gtf=SLOW_SWITCH, log=tmp_path / "q.log"):
        first = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
        connection.close()
        wait_for(lambda: ended(first), timeout=40, what="the first task")
        assert first.status == S.SUCCESS  # the worker has now seen the type enabled

        later = timezone.now() + timedelta(seconds=3)
        waiting = task_submit(
            task_type="t.add", user=user, parameters={"a": 2}, run_after=later
        ).task
        types.task_type_set_enabled(name="t.add", enabled=False)
        connection.close()
        wait_for(lambda: ended(waiting), timeout=40, what="the waiting task")
        assert waiting.status == S.FAILURE
        assert waiting.started_at is None and waiting.result is None
        assert waiting.error_message == (
            "Task type 't.add' was disabled after this task was submitted; it was not started."
        )

        types.task_type_set_enabled(name="t.add", enabled=True)  # the worker saw it disabled
        again = task_submit(task_type="t.add", user=user, parameters={"a": 3}).task
        connection.close()
        wait_for(lambda: ended(again), timeout=40, what="the task after enabling")
        assert again.status == S.SUCCESS and again.started_at is not None
