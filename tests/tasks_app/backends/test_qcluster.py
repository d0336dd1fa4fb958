"""Django's standard tasks API on a real ``qcluster``: enqueued from a view, retried with the
configured backoff, deferred, aborted while waiting for a retry (ORM broker; Redis with
REDIS_URL)."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tasks_app.backends.compat import TaskResultStatus
from tasks_app.services import task_abort
from tests.qcluster import cluster, django_q_executor, events, wait_for  # noqa: F401 (fixtures)
from tests.testapp import django_api as t

pytestmark = [
    pytest.mark.qcluster,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("django_q_executor"),
]
READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
SUCCESSFUL, FAILED = TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED
# How late a due task may start: the keeper's 1 s tick (Redis) or the claim poll (0.2 s), plus
# a worker picking it up on a busy 2-core machine.
LATE_BY_AT_MOST = 1.5


def starts(cluster, marker) -> list[tuple[int, float]]:
    """(attempt, wall time) of each start the task recorded."""
    return [(int(a), float(b)) for a, b in (line.split() for line in events(cluster[1], marker))]


def wait_result(result, statuses, timeout=30.0):
    def done():
        result.refresh()
        return result.status in statuses

    wait_for(done, timeout=timeout, interval=0.05, what=f"{result.task.name} in {statuses}")
    connection.close()
    return result


@pytest.mark.urls("tests.testapp.urls")
def test_enqueued_from_a_view_runs_on_the_cluster(cluster, client):
    response = client.get("/enqueue/slow-step/", {"marker": "view", "seconds": "1.5"})
    assert response.status_code == 202 and response.json()["status"] == "READY"
    result = t.slow_step.get_result(response.json()["id"])
    seen = []

    def watch():
        result.refresh()
        seen.append(result.status)
        return result.status == SUCCESSFUL

    wait_for(watch, timeout=30, interval=0.05, what="the view's task to succeed")
    assert RUNNING in seen and seen.index(RUNNING) < seen.index(SUCCESSFUL)
    assert result.return_value == "done" and result.attempts == 1 and result.worker_ids[0]
    assert [a for a, _ in starts(cluster, "view")] == [1]


def test_a_failing_task_retries_with_its_backoff_then_fails(cluster):
    result = t.fails_with_backoff.enqueue("backoff")
    wait_result(result, {FAILED}, timeout=40)
    times = starts(cluster, "backoff")
    assert [a for a, _ in times] == [1, 2, 3]
    delays = [later - earlier for (_, earlier), (_, later) in zip(times, times[1:], strict=False)]
    # Backoff(base=1, factor=2, jitter=False): 1 s, then 2 s; never early, late by little.
    for delay, wanted in zip(delays, (1.0, 2.0), strict=True):
        assert wanted <= delay <= wanted + LATE_BY_AT_MOST, delays
    assert result.attempts == 3 and len(set(result.worker_ids)) >= 1
    assert [e.exception_class for e in result.errors] == [t.Flaky] * 3
    for n, error in enumerate(result.errors, start=1):
        assert error.traceback.startswith("Traceback (most recent call last):")
        assert error.traceback.endswith(f"Flaky: attempt {n} failed\n")


def test_a_deferred_task_runs_at_its_time(cluster):
    run_after = timezone.now() + timedelta(seconds=3)
    result = t.slow_step.using(run_after=run_after).enqueue("deferred", seconds=0)
    time.sleep(2)
    result.refresh()
    assert result.status == READY and starts(cluster, "deferred") == []
    wait_result(result, {SUCCESSFUL}, timeout=20)
    [(_, started)] = starts(cluster, "deferred")
    late = started - run_after.timestamp()
    assert 0 <= late <= LATE_BY_AT_MOST, late


def test_abort_during_a_backoff_wait_ends_it_without_another_attempt(cluster):
    result = t.fails_slowly.enqueue("abort-wait")
    wait_for(lambda: starts(cluster, "abort-wait"), timeout=20, what="the first attempt")
    wait_result(result, {READY})  # failed once, waiting 3 s for its retry
    assert task_abort(task_uuid=result.id, user=None, force=True).action == "aborted"
    time.sleep(4.5)  # past the time the retry was due
    result.refresh()
    assert result.status == FAILED and result.attempts == 1
    assert [a for a, _ in starts(cluster, "abort-wait")] == [1]
    assert [e.exception_class_path for e in result.errors] == [
        "tests.testapp.django_api.Flaky",
        "tasks_app.worker.context.TaskAborted",
    ]
