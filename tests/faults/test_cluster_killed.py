"""A whole cluster killed with SIGKILL mid-run: its running tasks are retried or ended, the
tasks it had taken but not started run elsewhere, and nothing runs twice."""

import signal
import time

from django.db import connection

from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.faults.harness import (
    MARKS,
    Runs,
    alive,
    assert_production_path,
    kill_group,
    recovery_bound,
    report,
    worker_pid,
)
from tests.qcluster import qcluster, wait_for

# Faults in real processes on PostgreSQL; CI runs them in a section of their own.
pytestmark = MARKS
S = TaskStatus
TASKS, WORKERS, SECONDS = 16, 4, 3.0


def test_kill9_of_a_cluster_loses_nothing_and_runs_nothing_twice(
    gtf_settings, broker, tmp_path, user
):
    tasks = [
        task_submit(task_type="t.logged", user=user, parameters={"seconds": SECONDS}).task
        for _ in range(TASKS)
    ]
    connection.close()
    log = tmp_path / "qcluster.log"
    with qcluster(events_dir=tmp_path, workers=WORKERS, gtf=gtf_settings, q=broker, log=log) as a:
        wait_for(lambda: len(Runs.read(tmp_path).starts) >= WORKERS, what="4 running tasks")
        time.sleep(0.5)
        claimed = set(
            Task.objects.filter(status=S.PENDING)
            .exclude(claimed_by="")
            .values_list("uuid", flat=True)
        )
        running = Task.objects.filter(status=S.IN_PROGRESS)
        workers = {worker_pid(w) for w in running.values_list("worker_id", flat=True)}
        killed_at = time.monotonic()
        guard_status = kill_group(a)
    wait_for(lambda: not any(map(alive, workers)), timeout=10, what="the workers to be gone")
    started_on_a = set(Runs.read(tmp_path).starts)
    with qcluster(events_dir=tmp_path, workers=WORKERS, gtf=gtf_settings, q=broker, log=log):
        bound = recovery_bound(tasks=TASKS, workers=WORKERS, seconds=SECONDS)
        wait_for(
            lambda: not Task.objects.exclude(status=S.SUCCESS).exists(),
            timeout=bound,
            what="every task to succeed",
        )
        elapsed = time.monotonic() - killed_at
    connection.close()
    # The fault landed: SIGKILL ended the cluster while its workers ran tasks.
    assert guard_status == -signal.SIGKILL and workers
    runs = Runs.read(tmp_path)
    assert_production_path(runs)
    uuids = {str(t.uuid) for t in tasks}
    assert set(runs.ends) == uuids and all(n == 1 for n in runs.ends.values())  # once each
    assert all(runs.starts[u] == (2 if u in started_on_a else 1) for u in uuids)
    # The tasks the dead cluster had taken but not started ran once, on the second cluster.
    taken_not_started = {str(u) for u in claimed} - started_on_a
    assert taken_not_started
    assert all(runs.starts[u] == 1 for u in taken_not_started)
    retried = Task.objects.filter(uuid__in=started_on_a)
    assert all(t.attempt == 2 and t.attempts.count() == 1 for t in retried)
    assert elapsed < bound
    report(
        f"kill -9 of a cluster ({'redis' if broker else 'orm'})",
        tasks=len(uuids),
        workers_killed=len(workers),
        running_killed=len(started_on_a),
        claimed_not_started=len(taken_not_started),
        second_attempts=sum(t.attempt == 2 for t in retried),
        all_done_after_s=elapsed,
        bound_s=bound,
        lost=runs.lost(uuids),
        run_twice=runs.run_twice(uuids),
    )
