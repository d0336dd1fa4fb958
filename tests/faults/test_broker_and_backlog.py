"""The Redis broker stops while users submit; the reaper runs while every worker is busy."""

import os
import signal
import time

from django.db import connection
from django.test import Client

from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.faults.harness import (
    FAULT_GTF,
    MARKS,
    SLACK,
    Runs,
    alive,
    assert_production_path,
    port_open,
    post_tasks,
    report,
    worker_pid,
)
from tests.qcluster import qcluster, wait_for

pytestmark = MARKS
S = TaskStatus
DOWN_FOR = 6.0


def test_submits_while_the_broker_is_down_are_accepted_and_run_once(
    gtf_settings, redis_broker, redis_server, tmp_path, user
):
    broker = redis_broker
    client = Client()
    client.force_login(user)
    log = tmp_path / "qcluster.log"
    with qcluster(events_dir=tmp_path, workers=2, gtf=gtf_settings, q=broker, log=log):
        before = [task_submit(task_type="t.logged", user=user, parameters={"seconds": 0.2}).task]
        wait_for(lambda: len(Runs.read(tmp_path).ends) == 1, what="a first task to run")
        redis_server.stop()
        refused = not port_open(redis_server.port)
        answers = post_tasks(client, {"task_type": "t.logged", "parameters": {"seconds": 0.2}}, 6)
        time.sleep(DOWN_FOR)
        accepted = {a.json()["uuid"] for a in answers if a.status_code == 201}
        started_while_down = sum(Runs.read(tmp_path).starts[u] for u in accepted)
        redis_server.start()
        back_at = time.monotonic()
        bound = FAULT_GTF["REQUEUE_PENDING_AFTER"] + FAULT_GTF["HEARTBEAT_INTERVAL"] + SLACK
        wait_for(
            lambda: not Task.objects.exclude(status=S.SUCCESS).exists(),
            timeout=DOWN_FOR + bound,
            what="the accepted tasks to run once the broker is back",
        )
        done_after = time.monotonic() - back_at
    connection.close()
    # The fault landed: Redis refused connections, and nothing ran until it was back.
    assert refused and started_while_down == 0
    assert [a.status_code for a in answers] == [201] * 6  # the row is the outbox
    uuids = accepted | {str(t.uuid) for t in before}
    runs = Runs.read(tmp_path)
    assert_production_path(runs)
    assert set(runs.ends) == uuids and all(runs.ends[u] == runs.starts[u] == 1 for u in uuids)
    assert done_after < bound
    report(
        f"Redis broker down {DOWN_FOR:.0f} s",
        submits=len(answers),
        answered_201=len(accepted),
        started_while_down=started_while_down,
        all_done_after_back_s=done_after,
        bound_s=bound,
        lost=runs.lost(uuids),
        run_twice=runs.run_twice(uuids),
    )


def test_the_reaper_is_not_starved_by_a_backlog(gtf_settings, tmp_path, user):
    long = [
        task_submit(
            task_type="t.logged_once", user=user, task_key=f"long{i}", parameters={"seconds": 40}
        ).task
        for i in range(2)
    ]
    backlog = [  # more than the workers will reach in this test
        task_submit(task_type="t.logged_once", user=user, parameters={"seconds": 40}).task
        for _ in range(6)
    ]
    connection.close()
    log = tmp_path / "qcluster.log"
    with qcluster(events_dir=tmp_path, workers=2, gtf=gtf_settings, log=log):
        wait_for(lambda: len(Runs.read(tmp_path).starts) == 2, what="both workers busy")
        victim = Task.objects.get(pk=long[0].pk)
        if victim.status != S.IN_PROGRESS:
            victim = Task.objects.get(pk=long[1].pk)
        pid = worker_pid(victim.worker_id)
        os.kill(pid, signal.SIGKILL)  # a worker of the cluster this test started
        killed_at = time.monotonic()
        wait_for(lambda: not alive(pid), timeout=10, what="the worker to be gone")
        bound = FAULT_GTF["STALE_AFTER"] + FAULT_GTF["HEARTBEAT_INTERVAL"] + 5.0
        wait_for(
            lambda: Task.objects.filter(pk=victim.pk, status=S.FAILURE).exists(),
            timeout=bound + 10,
            what="the lost task to be reaped",
        )
        reaped_after = time.monotonic() - killed_at
        # Its key is free again at once: a new submit creates a task instead of joining.
        again = task_submit(
            task_type="t.logged_once", user=user, task_key=victim.task_key, parameters={}
        )
        still_waiting = Task.objects.filter(
            pk__in=[t.pk for t in backlog], status=S.PENDING
        ).count()
    connection.close()
    victim.refresh_from_db()
    assert again.created
    assert still_waiting >= 4  # the backlog was still there all along
    assert_production_path(Runs.read(tmp_path))
    assert victim.error_type == "WorkerLost"
    assert reaped_after < bound
    report(
        "reaper with every worker busy",
        backlog_waiting=still_waiting,
        reaped_after_s=reaped_after,
        bound_s=bound,
        key_free_again=int(again.created),
    )
