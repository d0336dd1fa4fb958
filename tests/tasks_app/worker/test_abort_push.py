"""Abort push on PostgreSQL: the handler starts long before the next status poll."""

import time

import pytest
from django.db import connection

from tasks_app import notify
from tasks_app.models import Task
from tasks_app.services import task_abort, task_submit
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, events, qcluster, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SLOW_POLL = 60.0


@pytest.mark.qcluster
@pytest.mark.parametrize("enabled", [True, False])
def test_abort_reaches_worker_by_push(settings, tmp_path, monkeypatch, user, enabled):
    gtf = {"ABORT_POLL_INTERVAL": SLOW_POLL, "ABORT_PUSH": enabled}
    settings.GTF = {**settings.GTF, **FAST_GTF, **gtf, "EXECUTOR": DJANGO_Q_EXECUTOR}
    monkeypatch.setattr("tests.testapp.tasks.EVENTS_DIR", str(tmp_path))
    with qcluster(events_dir=tmp_path, gtf=gtf, log=tmp_path / "qcluster.log"):
        task = task_submit(task_type="t.abortable", user=user, parameters={"marker": "p"}).task
        wait_for(lambda: events(tmp_path, "started"), what="the task to start")
        wait_for(
            lambda: Task.objects.filter(pk=task.pk, is_abortable=True).exists(), what="abortable"
        )
        time.sleep(1.0)  # the worker's LISTEN connection is up by now
        called = time.time()
        task_abort(task_uuid=task.uuid, user=user)
        if enabled:
            wait_for(lambda: events(tmp_path, "abort_handler"), timeout=10, what="the handler")
            handler_at = float(events(tmp_path, "abort_handler")[0].split()[-1])
            assert handler_at - called < 2.0
        else:
            time.sleep(3.0)
            assert events(tmp_path, "abort_handler") == []  # only the 60 s poll would see it
        connection.close()


def test_notify_is_sent_on_commit_of_an_abort(user, settings):
    import psycopg

    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
    task = task_submit(task_type="t.abortable", user=user, parameters={"marker": "n"}).task
    Task.objects.filter(pk=task.pk).update(status="IN_PROGRESS", is_abortable=True)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as listener:
        listener.execute(f"LISTEN {notify.CHANNEL}")
        task_abort(task_uuid=task.uuid, user=user)
        notes = [n.payload for n in listener.notifies(timeout=2.0, stop_after=1)]
    assert notes == [str(task.pk)]
