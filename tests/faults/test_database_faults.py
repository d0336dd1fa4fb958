"""The database drops every connection, then refuses new ones for a while: running tasks end
with their true outcome, the API answers 503 and creates nothing, pending tasks run after."""

import time

import pytest
from django.db import connection
from django.test import Client

from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.faults.harness import (
    MARKS,
    Runs,
    admin_connection,
    assert_production_path,
    database_accepts,
    database_refusing,
    log_count,
    post_tasks,
    recovery_bound,
    report,
    terminate_backends,
)
from tests.qcluster import CLUSTER_APPLICATION_NAME, qcluster, wait_for

pytestmark = MARKS
S = TaskStatus
# What a worker logs when a write met a dropped connection (tasks_app.worker.retrying).
FINAL_WRITE_RETRIED = "finish: database unavailable"
PROGRESS_DROPPED = "not written: database unavailable"


def submit_logged(user, n, **params):
    return [
        task_submit(task_type="t.logged_once", user=user, parameters=params).task for _ in range(n)
    ]


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "unprepared"])
def test_terminated_backends_do_not_change_any_outcome(
    gtf_settings, settings, tmp_path, user, prepared
):
    settings.GTF = gtf = {**gtf_settings, "PREPARED_STATEMENTS": prepared}
    # Half write progress all along; for the others the final write is the first after.
    tasks = submit_logged(user, 2, seconds=4.0, updates=40) + submit_logged(user, 2, seconds=4.0)
    connection.close()
    log = tmp_path / "qcluster.log"
    cut_per_round = []
    with qcluster(events_dir=tmp_path, workers=4, gtf=gtf, log=log):
        wait_for(lambda: len(Runs.read(tmp_path).starts) == 4, what="4 running tasks")
        with admin_connection() as admin:
            for _ in range(3):  # progress writes, heartbeats, the keeper: all lose their link
                time.sleep(0.7)
                names = terminate_backends(admin, connection.settings_dict["NAME"])
                cut_per_round.append(names.count(CLUSTER_APPLICATION_NAME))
        connection.close()
        terminated_at = time.monotonic()
        wait_for(
            lambda: not Task.objects.filter(status__in=[S.PENDING, S.IN_PROGRESS]).exists(),
            timeout=recovery_bound(tasks=4, workers=4, seconds=4.0),
            what="the tasks to end",
        )
        done_after = time.monotonic() - terminated_at
    connection.close()
    # The fault landed: every round cut the cluster's connections, and workers' writes met it.
    assert all(cut_per_round), cut_per_round
    progress_dropped = log_count(log, PROGRESS_DROPPED)
    assert progress_dropped
    runs = Runs.read(tmp_path)
    assert_production_path(runs)
    outcomes = []
    for task in tasks:
        task.refresh_from_db()
        assert (task.status, task.result, task.error_type) == (S.SUCCESS, "done", "")
        assert runs.starts[str(task.uuid)] == runs.ends[str(task.uuid)] == 1
        if task.parameters["updates"]:
            assert task.progress_percent == 100.0 and task.payload == {"step": 40}
        outcomes.append((task.status, task.result, task.error_type))
    final_writes_retried = log_count(log, FINAL_WRITE_RETRIED)
    assert final_writes_retried  # the silent tasks' final write was the first to meet it
    uuids = {str(t.uuid) for t in tasks}
    report(
        f"database backends terminated {len(cut_per_round)} times"
        f" (prepared statements {'on' if prepared else 'off'})",
        tasks=len(tasks),
        cluster_backends_cut="+".join(map(str, cut_per_round)),
        final_writes_retried=final_writes_retried,
        progress_writes_dropped=progress_dropped,
        all_done_after_s=done_after,
        outcomes_true=outcomes.count((S.SUCCESS, "done", "")),
        lost=runs.lost(uuids),
        run_twice=runs.run_twice(uuids),
    )


REFUSED_FOR = 8.0


def test_a_database_refusing_connections_loses_nothing(gtf_settings, tmp_path, user):
    running = submit_logged(user, 2, seconds=3.0, updates=15)
    connection.close()
    log = tmp_path / "qcluster.log"
    with qcluster(events_dir=tmp_path, workers=2, gtf=gtf_settings, log=log):
        wait_for(lambda: len(Runs.read(tmp_path).starts) == 2, what="2 running tasks")
        waiting = submit_logged(user, 3, seconds=0.5)
        client = Client()
        client.force_login(user)
        connection.close()
        with database_refusing(REFUSED_FOR) as dropped:
            refused = not database_accepts()
            answers = post_tasks(client, {"task_type": "t.add", "parameters": {"a": 1}}, 3)
        connection.close()
        back_at = time.monotonic()
        wait_for(
            lambda: not Task.objects.filter(status__in=[S.PENDING, S.IN_PROGRESS]).exists(),
            timeout=REFUSED_FOR + recovery_bound(tasks=5, workers=2, seconds=3.0),
            what="every task to end after the outage",
        )
        done_after = time.monotonic() - back_at
    connection.close()
    # The fault landed: the cluster's connections were cut and new ones were refused.
    assert CLUSTER_APPLICATION_NAME in dropped and refused, dropped
    for answer in answers:
        assert answer.status_code == 503 and answer["Content-Type"] == "application/json"
        assert answer.json()["code"] == "service_unavailable" and answer["Retry-After"]
    assert not Task.objects.filter(task_type="t.add").exists()  # a 503 created nothing
    runs = Runs.read(tmp_path)
    assert_production_path(runs)
    for task in running + waiting:
        task.refresh_from_db()
        assert task.status == S.SUCCESS, (task.status, task.error_message)
        assert runs.starts[str(task.uuid)] == runs.ends[str(task.uuid)] == 1
    final_writes_retried = log_count(log, FINAL_WRITE_RETRIED)
    assert final_writes_retried  # the running tasks ended while the database refused
    uuids = {str(t.uuid) for t in running + waiting}
    report(
        f"database refusing connections for {REFUSED_FOR:.0f} s",
        tasks=len(uuids),
        cluster_backends_cut=dropped.count(CLUSTER_APPLICATION_NAME),
        final_writes_retried=final_writes_retried,
        api_submits=len(answers),
        api_503=sum(a.status_code == 503 for a in answers),
        created_by_503=Task.objects.filter(task_type="t.add").count(),
        all_done_after_back_s=done_after,
        lost=runs.lost(uuids),
        run_twice=runs.run_twice(uuids),
    )
