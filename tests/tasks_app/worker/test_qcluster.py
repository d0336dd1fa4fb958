"""Integration: tasks run on a real Django-Q2 cluster (ORM broker, or Redis with REDIS_URL)."""

import os
import signal

import pytest
from django.db import connection
from django_q.brokers.orm import ORM

from tasks_app.dispatch import get_executor
from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_abort, task_submit
from tasks_app.worker.executors import django_q
from tasks_app.worker.executors.broker import DatabaseQueueBroker, package
from tests.qcluster import cluster, django_q_executor, events, wait_for  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.qcluster,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("django_q_executor"),
]
S = TaskStatus
TERMINAL = {S.SUCCESS, S.FAILURE, S.ABORTED, S.TIMED_OUT}


def submit(task_type, user, **params):
    return task_submit(task_type=task_type, user=user, parameters=params).task


def wait_status(task, statuses, timeout=30.0):
    def check():
        task.refresh_from_db()
        return task.status in statuses

    wait_for(check, timeout=timeout, what=f"{task.task_type} to reach {statuses}")
    connection.close()
    return task


def wait_started(task, cluster, marker, timeout=20.0):
    wait_for(lambda: marker in events(cluster[1], "started"), timeout=timeout, what="start")


def test_success_with_result_and_progress(cluster, user):
    task = wait_status(submit("t.progress", user, steps=3), TERMINAL)
    assert task.status == S.SUCCESS and task.result == 3
    assert (task.progress_current, task.progress_total, task.progress_percent) == (3, 3, 100)
    assert task.payload == {"step0": 0, "step1": 1, "step2": 2}
    assert task.worker_id and task.attempt == 1 and task.heartbeat_at is not None


def test_failure_with_the_right_traceback(cluster, user):
    task = wait_status(submit("t.fails", user, source="ledger"), TERMINAL)
    assert task.status == S.FAILURE and task.error_message == "cannot reach ledger"
    assert "_helper_that_raises" in task.error_traceback
    assert "handled earlier" not in task.error_traceback


def test_abort_running_runs_handlers_and_cleanup_in_order(cluster, user):
    task = submit("t.abortable", user, marker="run1")
    wait_started(task, cluster, "run1")
    wait_for(lambda: Task.objects.filter(pk=task.pk, is_abortable=True).exists(), what="abortable")
    assert task_abort(task_uuid=task.uuid, user=user).action == "aborted"
    task = wait_status(task, TERMINAL)
    assert task.status == S.ABORTED
    assert any(line.startswith("run1 ") for line in events(cluster[1], "abort_handler"))
    assert [c for c in events(cluster[1], "cleanup") if c.endswith("run1")] == [
        "second run1",
        "first run1",
    ]


def test_abort_pending_never_starts(cluster, user):
    # Occupy both workers so the third task stays queued.
    busy = [submit("t.sleep", user, seconds=3) for _ in range(2)]
    wait_for(
        lambda: {str(t.uuid) for t in busy} <= set(events(cluster[1], "started")),
        what="workers busy",
    )
    queued = submit("t.abortable", user, marker="never")
    assert task_abort(task_uuid=queued.uuid, user=user).action == "aborted"
    queued.refresh_from_db()
    assert queued.status == S.ABORTED
    # Two tasks queued behind it: the cluster takes tasks oldest first, so once both have run
    # on the two workers it has had the aborted one in hand (run, it would still be running).
    behind = [submit("t.sleep", user, seconds=0.5) for _ in range(2)]
    for t in [*busy, *behind]:
        wait_status(t, TERMINAL)
    assert {str(t.uuid) for t in behind} <= set(events(cluster[1], "finished"))
    assert "never" not in events(cluster[1], "started")


def test_abortable_task_times_out(cluster, user):
    task = wait_status(submit("t.abortable_timeout", user), TERMINAL)
    assert task.status == S.TIMED_OUT
    assert "timeout" in events(cluster[1], "abort_handler")


def test_unabortable_task_is_stopped_by_the_hard_timeout(cluster, user):
    task = wait_status(submit("t.stubborn_timeout", user, seconds=30), TERMINAL, timeout=25)
    assert task.status == S.TIMED_OUT
    assert task.error_message == "The task exceeded its timeout of 2 s."
    assert task.duration_seconds < 10


def test_async_task_is_cancelled_on_abort(cluster, user):
    task = submit("t.async_abortable", user, marker="async1")
    wait_started(task, cluster, "async1")
    wait_for(lambda: Task.objects.filter(pk=task.pk, is_abortable=True).exists(), what="abortable")
    task_abort(task_uuid=task.uuid, user=user)
    task = wait_status(task, TERMINAL)
    assert task.status == S.ABORTED
    assert "async1" in events(cluster[1], "cancelled")
    assert "async1" in events(cluster[1], "abort_handler")


def deliver_again(task) -> None:
    """Put the task's message on the broker once more. On Redis it joins the first in the list;
    with GTF's broker on the task table (where the row is the first message) it goes through
    Django-Q2's own queue table, which that broker serves as well."""
    message = package(task_uuid=str(task.uuid), task_type=task.task_type, timeout=task.timeout)
    broker = django_q._broker()
    if isinstance(broker, DatabaseQueueBroker):
        ORM.enqueue(broker, message)  # past GTF's enqueue, which drops GTF messages
    else:
        broker.enqueue(message)


def test_duplicate_delivery_runs_once(cluster, user):
    task = submit("t.sleep", user, seconds=0.5)
    deliver_again(task)
    wait_status(task, TERMINAL)
    # Both deliveries reach a worker: one runs the task, the other is refused (or runs it too).
    refused = f"Task {task.uuid} not run: no longer pending"

    def starts() -> int:
        return events(cluster[1], "started").count(str(task.uuid))

    wait_for(lambda: refused in cluster[2].read_text() or starts() > 1, what="the second delivery")
    wait_for(
        lambda: str(task.uuid) not in get_executor().queued_task_uuids(),
        what="the second message taken off the queue",
    )
    assert starts() == 1 and refused in cluster[2].read_text()
    task.refresh_from_db()
    assert task.attempt == 1 and task.status == S.SUCCESS


def test_worker_killed_mid_task_ends_terminal_through_the_reaper(cluster, user):
    task = submit("t.kill_self", user, seconds=60)
    pid = int(wait_for(lambda: events(cluster[1], "pid"), what="worker pid")[-1])
    wait_status(task, {S.IN_PROGRESS})
    os.kill(pid, signal.SIGKILL)
    task = wait_status(task, TERMINAL, timeout=30)
    assert task.status == S.FAILURE
    assert task.error_type == "WorkerLost"
    assert task.error_message.startswith("The worker running this task was lost")
