"""A whole cluster killed with SIGKILL mid-run: its running tasks are retried or ended, the
tasks it had taken but not started run elsewhere, and nothing runs twice."""

import time

from django.db import connection

from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.faults.harness import MARKS, Runs, kill_group, recovery_bound, report
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
        killed_at = time.monotonic()
        kill_group(a)
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
    runs = Runs.read(tmp_path)
    uuids = {str(t.uuid) for t in tasks}
    assert set(runs.ends) == uuids and all(n == 1 for n in runs.ends.values())  # once each
    assert all(runs.starts[u] == (2 if u in started_on_a else 1) for u in uuids)
    # The tasks the dead cluster had taken but not started ran once, on the second cluster.
    assert {str(u) for u in claimed} - started_on_a
    assert all(runs.starts[str(u)] == 1 for u in claimed if str(u) not in started_on_a)
    retried = Task.objects.filter(uuid__in=started_on_a)
    assert all(t.attempt == 2 and t.attempts.count() == 1 for t in retried)
    report(
        f"kill -9 of a cluster ({'redis' if broker else 'orm'})",
        tasks=TASKS,
        running_killed=len(started_on_a),
        claimed_not_started=len({str(u) for u in claimed} - started_on_a),
        all_done_after_s=elapsed,
        bound_s=bound,
        lost=0,
        run_twice=0,
    )
    assert elapsed < bound
