"""The database drops every connection, then refuses new ones for a while: running tasks end
with their true outcome, the API answers 503 and creates nothing, pending tasks run after."""

import time

from django.db import connection
from django.test import Client

from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.faults.harness import (
    MARKS,
    Runs,
    admin_connection,
    database_refusing,
    post_tasks,
    recovery_bound,
    report,
    terminate_backends,
)
from tests.qcluster import qcluster, wait_for

pytestmark = MARKS
S = TaskStatus


def submit_logged(user, n, **params):
    return [
        task_submit(task_type="t.logged_once", user=user, parameters=params).task for _ in range(n)
    ]


def test_terminated_backends_do_not_change_any_outcome(gtf_settings, tmp_path, user):
    # Half write progress all along; for the others the final write is the first after.
    tasks = submit_logged(user, 2, seconds=4.0, updates=40) + submit_logged(user, 2, seconds=4.0)
    connection.close()
    log = tmp_path / "qcluster.log"
    with qcluster(events_dir=tmp_path, workers=4, gtf=gtf_settings, log=log):
        wait_for(lambda: len(Runs.read(tmp_path).starts) == 4, what="4 running tasks")
        with admin_connection() as admin:
            for _ in range(3):  # progress writes, heartbeats, the keeper: all lose their link
                time.sleep(0.7)
                terminate_backends(admin, connection.settings_dict["NAME"])
        connection.close()
        terminated_at = time.monotonic()
        wait_for(
            lambda: not Task.objects.filter(status__in=[S.PENDING, S.IN_PROGRESS]).exists(),
            timeout=recovery_bound(tasks=4, workers=4, seconds=4.0),
            what="the tasks to end",
        )
        report(
            "database backends terminated 3 times",
            tasks=4,
            all_done_after_s=time.monotonic() - terminated_at,
            outcomes_true=4,
        )
    connection.close()
    runs = Runs.read(tmp_path)
    for task in tasks:
        task.refresh_from_db()
        assert (task.status, task.result, task.error_type) == (S.SUCCESS, "done", "")
        assert runs.starts[str(task.uuid)] == runs.ends[str(task.uuid)] == 1
        if task.parameters["updates"]:
            assert task.progress_percent == 100.0 and task.payload == {"step": 40}


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
        with database_refusing(REFUSED_FOR):
            answers = post_tasks(client, {"task_type": "t.add", "parameters": {"a": 1}}, 3)
        connection.close()
        back_at = time.monotonic()
        wait_for(
            lambda: not Task.objects.filter(status__in=[S.PENDING, S.IN_PROGRESS]).exists(),
            timeout=REFUSED_FOR + recovery_bound(tasks=5, workers=2, seconds=3.0),
            what="every task to end after the outage",
        )
        report(
            f"database refusing connections for {REFUSED_FOR:.0f} s",
            tasks=5,
            api_503=sum(a.status_code == 503 for a in answers),
            all_done_after_back_s=time.monotonic() - back_at,
        )
    connection.close()
    for answer in answers:
        assert answer.status_code == 503 and answer["Content-Type"] == "application/json"
        assert answer.json()["code"] == "service_unavailable" and answer["Retry-After"]
    assert not Task.objects.filter(task_type="t.add").exists()  # a 503 created nothing
    runs = Runs.read(tmp_path)
    for task in running + waiting:
        task.refresh_from_db()
        assert task.status == S.SUCCESS, (task.status, task.error_message)
        assert runs.starts[str(task.uuid)] == runs.ends[str(task.uuid)] == 1
