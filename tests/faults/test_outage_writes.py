"""Task state written and read during a database outage: a running task's ``ctx.state`` calls
wait for the database like its final write does, so the task ends with its true outcome."""

import time

from django.db import connection

from state_app.models import TaskState
from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tests.faults.harness import MARKS, Runs, database_refusing, recovery_bound, report
from tests.qcluster import qcluster, wait_for

pytestmark = MARKS
S = TaskStatus
REFUSED_FOR = 8.0


def test_state_writes_wait_out_a_database_refusing_connections(gtf_settings, tmp_path, user):
    tasks = [
        task_submit(
            task_type="t.state_writes", user=user, parameters={"seconds": 4.0, "every": 0.2}
        ).task
        for _ in range(2)
    ]
    connection.close()
    with qcluster(events_dir=tmp_path, workers=2, gtf=gtf_settings, log=tmp_path / "q.log"):
        wait_for(lambda: len(Runs.read(tmp_path).starts) == 2, what="2 running tasks")
        time.sleep(0.5)  # both are in their write loop
        with database_refusing(REFUSED_FOR):
            pass
        connection.close()
        back_at = time.monotonic()
        wait_for(
            lambda: not Task.objects.filter(status__in=[S.PENDING, S.IN_PROGRESS]).exists(),
            timeout=recovery_bound(tasks=2, workers=2, seconds=4.0),
            what="the tasks to end after the outage",
        )
        done_after = time.monotonic() - back_at
    connection.close()
    runs = Runs.read(tmp_path)
    for task in tasks:
        task.refresh_from_db()
        assert task.status == S.SUCCESS, (task.status, task.error_type, task.error_message)
        assert runs.starts[str(task.uuid)] == runs.ends[str(task.uuid)] == 1
        # The last state write landed, and it is the count the function returned.
        assert TaskState.objects.get(task_id=task.pk, key="n").value == str(task.result)
    report(
        f"task state written while the database refused connections for {REFUSED_FOR:.0f} s",
        tasks=len(tasks),
        all_done_after_back_s=done_after,
    )
