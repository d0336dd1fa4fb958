"""Retries: each attempt recorded, backoff respected, budget counted, aborts never retried."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app.models import Task, TaskAttempt, TaskStatus
from tasks_app.registry import Backoff
from tasks_app.services import task_abort, task_submit
from tasks_app.worker.runner import run_task

pytestmark = pytest.mark.django_db
S = TaskStatus


@pytest.fixture
def pending(settings, user):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}

    def make(task_type, **params):
        return task_submit(task_type=task_type, user=user, parameters=params).task

    return make


def run(task):
    run_task(str(task.uuid), task.task_type)
    task.refresh_from_db()
    return task


def test_a_failure_in_retry_on_is_retried_after_the_backoff(pending):
    task = pending("t.flaky_backoff", fail_times=1)
    before = timezone.now()
    task = run(task)
    assert task.status == S.PENDING and task.attempt == 1
    assert (
        before + timedelta(seconds=0.5) <= task.run_after <= timezone.now() + timedelta(seconds=0.5)
    )
    assert task.dedup_key is None or task.dedup_key  # the slot (if any) stays held
    assert task.error_type == "builtins.ConnectionError"  # the last error stays visible
    (attempt,) = TaskAttempt.objects.filter(task=task)
    assert (attempt.number, attempt.status) == (1, S.FAILURE)
    assert "unreachable on attempt 1" in attempt.error_message
    assert "ConnectionError" in attempt.error_traceback and attempt.worker_id
    task = run(task)
    assert (task.status, task.attempt, task.result) == (S.SUCCESS, 2, 2)
    assert task.error_message == "" and task.error_traceback == ""


def test_the_budget_ends_in_failure_with_every_attempt_kept(pending):
    task = pending("t.flaky_backoff", fail_times=5)
    for _ in range(3):
        task = run(task)
    assert task.status == S.FAILURE and task.attempt == 3
    assert list(TaskAttempt.objects.filter(task=task).values_list("number", flat=True)) == [1, 2]
    assert "unreachable on attempt 3" in task.error_message


def test_an_error_outside_retry_on_is_final(pending):
    task = run(pending("t.flaky_backoff", fail_times=1, error="value"))
    assert task.status == S.FAILURE and not TaskAttempt.objects.filter(task=task).exists()


def test_ctx_retry_waits_as_asked_and_counts(pending):
    task = pending("t.asks_retry", after=7.0)
    before = timezone.now()
    task = run(task)
    assert task.status == S.PENDING
    assert abs((task.run_after - before).total_seconds() - 7.0) < 1.0
    task = run(task)  # the budget (1 retry) is used up
    assert task.status == S.FAILURE and "not ready on attempt 2" in task.error_message


def test_a_disabled_type_is_not_retried(pending):
    from tasks_app.ops.task_types import task_type_set_enabled

    task = pending("t.flaky_backoff", fail_times=1)
    task_type_set_enabled(name="t.flaky_backoff", enabled=False)
    task = run(task)
    assert task.status == S.FAILURE


def test_abort_during_the_backoff_wait_ends_aborted(pending, user):
    task = run(pending("t.flaky_backoff", fail_times=1))
    assert task.status == S.PENDING
    assert task_abort(task_uuid=task.uuid, user=user).action == "aborted"
    task.refresh_from_db()
    assert task.status == S.ABORTED
    assert run_task(str(task.uuid), task.task_type) is None  # the old message does nothing


@pytest.mark.parametrize("retry", [1, 2, 3, 8, 20])
def test_backoff_is_exponential_capped_and_jittered(retry):
    backoff = Backoff(base=2.0, factor=3.0, cap=100.0)
    full = min(100.0, 2.0 * 3.0 ** (retry - 1))
    delays = [backoff.delay(retry) for _ in range(200)]
    assert all(full / 2 <= d <= full for d in delays)
    assert len(set(delays)) > 1  # jittered
    assert Backoff(base=2.0, jitter=False).delay(retry) == min(300.0, 2.0 * 2.0 ** (retry - 1))


def test_deferred_task_is_not_claimed_before_its_time(pending, user):
    from tasks_app import queue

    later = timezone.now() + timedelta(minutes=5)
    deferred = task_submit(task_type="t.add", user=user, parameters={"a": 1}, run_after=later).task
    due = pending("t.add", a=2)
    claimed = queue.claim(node="n:1:a", limit=10)
    assert [c.uuid for c in claimed] == [str(due.uuid)]
    Task.objects.filter(pk=deferred.pk).update(run_after=timezone.now())
    assert [c.uuid for c in queue.claim(node="n:1:a", limit=10)] == [str(deferred.uuid)]
    assert queue.claim(node="n:1:a", limit=10) == []  # claimed once


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tomorrow", "must be a date and time"),
        (timezone.now().replace(tzinfo=None), "must include a time zone"),
        (timezone.now() + timedelta(days=400), "more than 366 days ahead"),
    ],
)
def test_bad_run_after_is_refused(user, value, message):
    from tasks_app.exceptions import InvalidInput

    with pytest.raises(InvalidInput, match=message) as info:
        task_submit(task_type="t.add", user=user, parameters={"a": 1}, run_after=value)
    assert info.value.field == "run_after" and not Task.objects.exists()
