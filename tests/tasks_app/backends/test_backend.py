"""What GTFBackend adds to Django's contract: GTF task types, dedup, scopes, retries and
attempts, deferral, abort, checks, signals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.backends import GTFBackend, GTFTask
from tasks_app.backends.backend import parse_options
from tasks_app.backends.compat import (
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
    task_finished,
    task_started,
)
from tasks_app.exceptions import SubmitForbidden, TaskTypeDisabled
from tasks_app.models import Task as TaskRow
from tasks_app.models import TaskAttempt, TaskStatus
from tasks_app.ops.task_types import task_type_set_enabled
from tasks_app.registry import Backoff, registry
from tasks_app.services import task_abort, task_submit
from tasks_app.worker.runner import run_task
from tests.testapp import django_api as t

pytestmark = pytest.mark.django_db
S = TaskStatus
READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
SUCCESSFUL, FAILED = TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED


def row(result) -> TaskRow:
    return TaskRow.objects.get(uuid=result.id)


def run_until_done(result, limit=10):
    """Run the task's attempts in this process, as workers would, until it ends."""
    for _ in range(limit):
        if row(result).status != S.PENDING:
            break
        run_task(result.id)
    result.refresh()
    return result


# -- registration -------------------------------------------------------------------------------
def test_each_function_is_a_gtf_type_named_by_its_module_path():
    definition = registry.get("tests.testapp.django_api.calculate_meaning_of_life")
    assert definition.scope == "private" and definition.retries == 0
    assert definition.signature.json_schema()["properties"] == {
        "args": {"type": "array", "default": []},
        "kwargs": {"type": "object", "default": {}},
    }
    assert "dt.progress" in registry  # type_name= names it instead


def test_gtf_options_of_the_decorator_define_the_type():
    definition = registry.get("tests.testapp.django_api.fails_then_succeeds")
    assert definition.retries == 3 and definition.retry_on == (t.Flaky,)
    assert definition.backoff == Backoff(base=0.0, factor=1.0, jitter=False)
    assert registry.get("tests.testapp.django_api.keyed_report").scope == "shared"


def test_a_name_another_type_holds_is_refused():
    with pytest.raises(InvalidTask, match="already registered"):
        GTFTask(
            func=t.echo.func,
            type_name="t.add",
            priority=0,
            backend="default",
            queue_name="default",
            run_after=None,
        )


def test_options_of_the_backend_are_the_defaults_of_its_types(settings):
    parsed = parse_options({"SCOPE": "shared", "RETRIES": 2, "BACKOFF": 5, "TIMEOUT": 60})
    assert parsed.errors == []
    assert (parsed.defaults.scope, parsed.defaults.retries, parsed.defaults.timeout) == (
        "shared",
        2,
        60,
    )
    parsed = parse_options({"BACKOFF": {"base": 2, "cap": 30}})
    assert parsed.defaults.backoff == Backoff(base=2, cap=30)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"SCOPES": "shared"}, "unknown key 'SCOPES'"),
        ({"SCOPE": "public"}, "OPTIONS['SCOPE'] must be one of"),
        ({"RETRIES": -1}, "OPTIONS['RETRIES'] must be a whole number"),
        ({"RETRIES": True}, "OPTIONS['RETRIES'] must be a whole number"),
        ({"TIMEOUT": 0}, "OPTIONS['TIMEOUT'] must be a positive"),
        ({"BACKOFF": "fast"}, "OPTIONS['BACKOFF'] is invalid"),
        ({"BACKOFF": {"base": 1, "speed": 2}}, "unknown key(s) speed"),
        ({"BACKOFF": {"factor": 0.5}}, "factor >= 1"),
    ],
)
def test_check_names_each_bad_option(settings, options, message):
    settings.TASKS = {"default": {"BACKEND": "tasks_app.backends.GTFBackend", "OPTIONS": options}}
    backend = task_backends["default"]
    errors = [m for m in backend.check() if m.id == "gtf.E030"]
    assert len(errors) == 1 and message in errors[0].msg
    # A misconfigured backend refuses to run anything rather than guess.
    with pytest.raises(Exception, match="TASKS\\['default'\\]"):
        t.noop_task.enqueue()


def test_check_warns_that_queue_names_share_the_clusters(settings):
    settings.TASKS = {
        "default": {"BACKEND": "tasks_app.backends.GTFBackend", "QUEUES": ["default", "emails"]}
    }
    messages = task_backends["default"].check()
    assert [m.id for m in messages] == ["gtf.W031"]
    settings.TASKS = {"default": {"BACKEND": "tasks_app.backends.GTFBackend"}}
    assert task_backends["default"].check() == []


def test_manage_py_check_runs_the_backend_check(settings):
    from django.core import checks

    settings.TASKS = {"default": {"BACKEND": "tasks_app.backends.GTFBackend", "OPTIONS": {"X": 1}}}
    ids = [m.id for m in checks.run_checks()]
    assert "gtf.E030" in ids


# -- submits ------------------------------------------------------------------------------------
def test_enqueue_makes_a_gtf_task_seen_by_staff_through_the_api(null_executor, client, staff):
    result = t.echo.enqueue(5, label="five")
    task = row(result)
    assert task.task_type == "tests.testapp.django_api.echo"
    assert task.parameters == {"args": [5], "kwargs": {"label": "five"}}
    assert task.scope == "system" and task.created_by is None
    client.force_login(staff)
    body = client.get(f"/api/v1/tasks/{result.id}/").json()
    assert body["type"] == "tests.testapp.django_api.echo" and body["status"] == "PENDING"


def test_a_user_makes_it_their_private_task(null_executor, client, user, other):
    result = t.echo.using(user=user).enqueue(1)
    assert row(result).scope == "private" and row(result).created_by == user
    client.force_login(user)
    assert client.get(f"/api/v1/tasks/{result.id}/").status_code == 200
    client.force_login(other)
    assert client.get(f"/api/v1/tasks/{result.id}/").status_code == 404


def test_gtf_submit_rules_apply_to_the_user(null_executor, user):
    with pytest.raises(SubmitForbidden, match="Only staff may submit system tasks"):
        t.echo.using(user=user, scope="system").enqueue(1)


def test_scope_without_a_user_comes_from_the_options(null_executor, settings):
    settings.TASKS = {
        "default": {"BACKEND": "tasks_app.backends.GTFBackend", "OPTIONS": {"SCOPE": "shared"}}
    }
    assert row(t.noop_task.enqueue()).scope == "shared"


def test_arguments_that_do_not_fit_the_signature_fail_at_enqueue(null_executor):
    with pytest.raises(TypeError, match="do not fit echo\\(\\): missing a required argument"):
        t.echo.enqueue()
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        t.echo.enqueue(1, colour="red")
    with pytest.raises(TypeError, match="is not a JSON value"):
        t.echo.enqueue(float("nan"))
    assert not TaskRow.objects.exists()


def test_a_key_deduplicates_calls_while_its_task_is_active(null_executor):
    first = t.echo.using(task_key="nightly").enqueue(1)
    again = t.echo.using(task_key="nightly").enqueue(2)
    assert again.id == first.id and again.args == [1]  # the active task, as it was submitted
    other = t.echo.using(task_key="weekly").enqueue(2)
    assert other.id != first.id
    lifecycle.advance(row(first), S.ABORTED)
    assert t.echo.using(task_key="nightly").enqueue(3).id != first.id


def test_a_key_template_is_filled_from_the_arguments(null_executor, user, other):
    a = t.keyed_report.enqueue(7)
    b = t.keyed_report.enqueue(report_id=7, fmt="pdf")
    c = t.keyed_report.enqueue(8)
    assert a.id == b.id != c.id
    assert row(a).task_key == "report:7" and row(c).task_key == "report:8"
    # Shared tasks with a key: users join the active one and become subscribers.
    joined = t.keyed_report.using(user=other, scope="shared").enqueue(7)
    assert joined.id == a.id
    assert row(a).subscribers.filter(user=other).exists()


def test_a_bad_key_is_refused_before_anything_is_written(null_executor):
    with pytest.raises(InvalidTask, match="task_key is longer than 256"):
        t.echo.using(task_key="k" * 257)
    with pytest.raises(InvalidTask, match="scope must be one of"):
        t.echo.using(scope="public")
    with pytest.raises(InvalidTask, match="cannot be filled from the arguments"):
        GTFTask(
            func=t.echo.func,
            task_key="{missing}",
            priority=0,
            backend="default",
            queue_name="default",
            run_after=None,
        ).enqueue(1)


def test_a_disabled_type_refuses_the_enqueue(null_executor):
    task_type_set_enabled(name="tests.testapp.django_api.echo", enabled=False)
    with pytest.raises(TaskTypeDisabled):
        t.echo.enqueue(1)


def test_api_submit_of_a_django_task_type_checks_the_call(client, staff, null_executor):
    client.force_login(staff)
    url = "/api/v1/tasks/"
    ok = client.post(
        url,
        {"task_type": "tests.testapp.django_api.echo", "parameters": {"args": [1]}},
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert t.echo.get_result(ok.json()["uuid"]).args == [1]
    bad = client.post(
        url,
        {"task_type": "tests.testapp.django_api.echo", "parameters": {"kwargs": {"x": 1}}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "parameters"
    assert "missing a required argument: 'value'" in bad.json()["detail"]


# -- results ------------------------------------------------------------------------------------
def test_get_result_of_a_gtf_native_task_is_not_found(null_executor, user):
    native = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    with pytest.raises(TaskResultDoesNotExist, match="not a task|no task of Django"):
        t.noop_task.get_result(str(native.uuid))


def test_running_and_aborting_read_as_running(null_executor):
    result = t.echo.enqueue(1)
    task = row(result)
    lifecycle.start(task_uuid=task.uuid, worker_id="w1")
    result.refresh()
    assert result.status == RUNNING and result.worker_ids == ["w1"] and result.attempts == 1
    assert result.started_at is not None and result.finished_at is None
    TaskRow.objects.filter(pk=task.pk).update(is_abortable=True)
    task.refresh_from_db()
    lifecycle.request_abort(task)
    result.refresh()
    assert result.status == RUNNING


def test_gtf_context_is_reachable_from_a_django_task(run_on_commit):
    with run_on_commit():
        result = t.with_gtf_context.enqueue(steps=4)
    result.refresh()
    assert result.return_value == result.id
    assert row(result).progress_percent == 100


# -- retries and attempts -----------------------------------------------------------------------
def test_retries_then_success_keeps_each_attempt(null_executor):
    result = run_until_done(t.fails_then_succeeds.enqueue("m", 2))
    assert result.status == SUCCESSFUL and result.return_value == 3
    assert result.attempts == 3 and len(result.worker_ids) == 3
    assert [e.exception_class for e in result.errors] == [t.Flaky, t.Flaky]
    assert "attempt 1 failed" in result.errors[0].traceback
    assert "attempt 2 failed" in result.errors[1].traceback
    assert result.started_at <= result.last_attempted_at <= result.finished_at
    assert TaskAttempt.objects.filter(task__uuid=result.id).count() == 2


def test_retries_used_up_end_failed_with_every_traceback(null_executor):
    result = run_until_done(t.always_fails.enqueue())
    assert result.status == FAILED and result.attempts == 3
    assert [e.traceback.splitlines()[-1] for e in result.errors] == [
        f"tests.testapp.django_api.Flaky: attempt {n} failed" for n in (1, 2, 3)
    ]
    assert row(result).dedup_key is None


def test_an_error_outside_retry_on_is_not_retried(null_executor):
    result = run_until_done(t.fails_for_good.enqueue())
    assert result.status == FAILED and result.attempts == 1
    assert result.errors[0].exception_class is KeyError


def test_a_retry_waits_as_ready_with_its_run_after(null_executor, settings):
    result = t.always_fails.enqueue()
    registry_backoff = registry.get("tests.testapp.django_api.always_fails").backoff
    assert registry_backoff.base == 0
    run_task(result.id)
    result.refresh()
    assert result.status == READY and result.attempts == 1 and len(result.errors) == 1
    waiting = row(result)
    # A keyless task holds no dedup slot, waiting for a retry or not.
    assert waiting.status == S.PENDING and waiting.dedup_key is None


def test_abort_while_waiting_for_a_retry_ends_failed_without_another_attempt(null_executor):
    result = t.always_fails.using(task_key="abort-me").enqueue()
    run_task(result.id)
    assert row(result).status == S.PENDING and row(result).dedup_key is not None
    task_abort(task_uuid=result.id, user=None, force=True)
    assert run_task(result.id) is None  # a late delivery does not run it
    result.refresh()
    assert result.status == FAILED and result.attempts == 1
    assert [e.exception_class_path for e in result.errors] == [
        "tests.testapp.django_api.Flaky",
        "tasks_app.worker.context.TaskAborted",
    ]
    assert row(result).status == S.ABORTED and row(result).dedup_key is None


def test_a_type_disabled_before_a_retry_ends_failed_without_an_old_traceback(null_executor):
    result = t.always_fails.enqueue()
    run_task(result.id)
    task_type_set_enabled(name="tests.testapp.django_api.always_fails", enabled=False)
    run_task(result.id)
    result.refresh()
    assert result.status == FAILED and result.attempts == 1
    refusal = result.errors[-1]
    assert refusal.exception_class is TaskTypeDisabled
    assert "Traceback" not in refusal.traceback and "Flaky" not in refusal.traceback


def test_a_lost_worker_reads_as_worker_lost(null_executor):
    from tasks_app.exceptions import WorkerLost

    result = t.noop_task.enqueue()
    task = lifecycle.start(task_uuid=row(result).uuid, worker_id="w")
    lifecycle.end_lost(task, target=S.FAILURE, message="lost")
    result.refresh()
    assert result.status == FAILED and result.errors[0].exception_class is WorkerLost
    assert result.errors[0].traceback == "WorkerLost: lost\n"


# -- deferral -----------------------------------------------------------------------------------
def test_deferred_task_waits_for_its_time(run_on_commit):
    later = timezone.now() + timedelta(minutes=5)
    with run_on_commit():
        result = t.echo.using(run_after=later).enqueue(1)
    result.refresh()
    assert result.status == READY and row(result).run_after == later
    assert row(result).attempt == 0  # the immediate executor does not run deferred tasks


# -- Django's signals ---------------------------------------------------------------------------
def test_signals_carry_the_task_result(run_on_commit):
    seen = []

    def receiver(sender, task_result, **kwargs):
        seen.append((sender, task_result.status, task_result.id))

    task_started.connect(receiver)
    task_finished.connect(receiver)
    try:
        with run_on_commit():
            result = t.calculate_meaning_of_life.enqueue()
    finally:
        task_started.disconnect(receiver)
        task_finished.disconnect(receiver)
    assert seen == [(GTFBackend, RUNNING, result.id), (GTFBackend, SUCCESSFUL, result.id)]


def test_a_failing_receiver_does_not_break_the_run(run_on_commit):
    def broken(sender, task_result, **kwargs):
        raise RuntimeError("receiver bug")

    task_started.connect(broken)
    try:
        with run_on_commit():
            result = t.calculate_meaning_of_life.enqueue()
    finally:
        task_started.disconnect(broken)
    result.refresh()
    assert result.status == SUCCESSFUL


def test_an_attempt_lost_or_refused_after_a_retry_has_no_earlier_traceback(null_executor):
    from tasks_app.exceptions import WorkerLost

    lost = t.always_fails.enqueue()
    run_task(lost.id)  # attempt 1 fails with a traceback, and waits for its retry
    task = lifecycle.start(task_uuid=row(lost).uuid, worker_id="w2")
    lifecycle.end_lost(task, target=S.FAILURE, message="lost")
    assert row(lost).error_traceback == ""
    lost.refresh()
    assert [e.exception_class for e in lost.errors] == [t.Flaky, WorkerLost]
    assert lost.errors[-1].traceback == "WorkerLost: lost\n"

    refused = t.always_fails.enqueue()
    run_task(refused.id)
    lifecycle.refuse(row(refused), message="disabled", error_type="TaskRefused")
    assert row(refused).error_traceback == "" and row(refused).error_message == "disabled"
