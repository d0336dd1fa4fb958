"""The runner, driven by the immediate executor (the same runner Django-Q2 workers call)."""

import time

import pytest

from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tasks_app.worker.runner import run_task

pytestmark = pytest.mark.django_db
S = TaskStatus


@pytest.fixture
def run(user, django_capture_on_commit_callbacks):
    def _run(task_type, parameters=None, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            res = task_submit(task_type=task_type, user=user, parameters=parameters or {}, **kw)
        res.task.refresh_from_db()
        return res.task

    return _run


def test_success_stores_result_and_timestamps(run):
    task = run("t.add", {"a": 2, "b": 3})
    assert task.status == S.SUCCESS and task.result == 5
    assert task.started_at <= task.ended_at and task.attempt == 1
    assert task.dedup_key is None and task.duration_seconds >= 0
    assert task.worker_id


def test_async_function_runs_in_event_loop(run):
    assert run("t.async_add", {"a": 2, "b": 40}).result == 42


def test_context_injected_by_type_whatever_its_name(run):
    task = run("t.injected_any_name", {"n": 3})
    assert task.result == {"same": True, "uuid": str(task.uuid), "n": 3}


def test_failure_records_the_traceback_of_that_exception(run):
    task = run("t.fails", {"source": "warehouse"})
    assert task.status == S.FAILURE
    assert task.error_message == "cannot reach warehouse"
    assert task.error_type == "builtins.ConnectionError"
    assert "_helper_that_raises" in task.error_traceback
    assert "handled earlier" not in task.error_traceback
    assert task.result is None


def test_non_json_result_becomes_metadata(run):
    task = run("t.odd_result")
    assert task.status == S.SUCCESS
    assert task.result == {
        "ok": 1,
        "obj": {"_type": "Unserialisable", "_repr": "<Unserialisable>"},
        "nan": {"_type": "float", "_repr": "nan"},
    }


def test_progress_and_payload_final_value_is_flushed(run, settings):
    settings.GTF = {**settings.GTF, "PROGRESS_THROTTLE": 3600}
    task = run("t.progress", {"steps": 4})
    assert (task.progress_current, task.progress_total, task.progress_percent) == (4, 4, 100)
    assert task.payload == {"step0": 0, "step1": 1, "step2": 2, "step3": 3}


def test_progress_writes_are_throttled(
    user, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    settings.GTF = {**settings.GTF, "PROGRESS_THROTTLE": 3600}
    with django_capture_on_commit_callbacks(execute=False):
        task = task_submit(task_type="t.progress", user=user, parameters={"steps": 200}).task
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run_task(str(task.uuid))
    column = connection.ops.quote_name("progress_current")  # "…" or `…` (MariaDB)
    progress_writes = [q for q in queries if f"{column} =" in q["sql"]]
    assert len(progress_writes) == 2  # the first update, then the final flush


def test_cleanup_handlers_all_run_last_first_and_failures_recorded(run, tmp_path, monkeypatch):
    monkeypatch.setattr("tests.testapp.tasks.EVENTS_DIR", str(tmp_path))
    task = run("t.handler_fails")
    assert (tmp_path / "cleanup").read_text().split() == ["ok-3", "ok-1"]
    assert task.status == S.FAILURE
    assert "cleanup handler" in task.error_message and "ZeroDivisionError" in task.error_message


def test_unknown_type_ends_failure_without_crashing(user):
    task = Task.objects.create(
        task_type="gone.away", task_key="k", scope="private", created_by=user
    )
    assert run_task(str(task.uuid)) == S.FAILURE
    task.refresh_from_db()
    assert task.status == S.FAILURE
    assert task.error_message == "Task type 'gone.away' is not registered in this worker."


def test_redelivery_does_not_run_twice(run, tmp_path, monkeypatch):
    monkeypatch.setattr("tests.testapp.tasks.EVENTS_DIR", str(tmp_path))
    task = run("t.sleep", {"seconds": 0})
    assert run_task(str(task.uuid)) is None
    assert len((tmp_path / "started").read_text().split()) == 1
    task.refresh_from_db()
    assert task.attempt == 1


def test_aborted_pending_task_is_not_started(user, django_capture_on_commit_callbacks):
    from tasks_app.services import task_abort

    with django_capture_on_commit_callbacks(execute=False):
        task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    task_abort(task_uuid=task.uuid, user=user)
    assert run_task(str(task.uuid)) is None
    task.refresh_from_db()
    assert task.status == S.ABORTED and task.started_at is None


def test_missing_task_is_ignored(db):
    assert run_task("6b0e4bd6-6a3a-4b43-9d7c-0a1d8ef1d8d1") is None


def test_sys_exit_in_a_task_is_its_failure_not_a_timeout(run):
    task = run("t.exits")
    assert task.status == S.FAILURE and task.error_type == "builtins.SystemExit"


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_interval_delays_neither_timeouts_nor_heartbeats(user, settings):
    # With abort push, operators poll rarely; deadlines and heartbeats keep their own clocks.
    settings.GTF = {**settings.GTF, "ABORT_POLL_INTERVAL": 60.0, "HEARTBEAT_INTERVAL": 0.3}
    began = time.monotonic()
    timed = task_submit(task_type="t.abortable_timeout", user=user).task
    timed.refresh_from_db()
    assert timed.status == S.TIMED_OUT
    assert time.monotonic() - began < 15  # its timeout is 2 s; the poll interval 60 s
    slept = task_submit(task_type="t.sleep", user=user, parameters={"seconds": 3}).task
    slept.refresh_from_db()
    assert slept.status == S.SUCCESS
    assert (slept.heartbeat_at - slept.started_at).total_seconds() >= 2.0
