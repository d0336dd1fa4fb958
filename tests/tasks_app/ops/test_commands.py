"""Management commands: happy paths and bad arguments."""

import io
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.models import Task, TaskStatus, TaskType
from tests import qcluster
from tests.factories import natural_key

# The ``user`` fixture by its USERNAME_FIELD (a username, or an email address).
ALICE = natural_key("alice")

S = TaskStatus
# Seconds a step may take on a loaded machine; a passing run takes a fraction of one.
LOADED = 60.0


def run(*args, stdout=None):
    out = stdout or io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def fails_with(text, *args, returncode=None):
    with pytest.raises(CommandError, match=text) as exc:
        run(*args)
    if returncode is not None:
        assert exc.value.returncode == returncode
    return exc.value


class TTY(io.StringIO):
    def isatty(self):
        return True


# -- gtf_submit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_with_parameters_key_and_user(user, null_executor):
    out = run(
        "gtf_submit", "t.typed", "-p", "count=3", "-p", "name=007", "--key", "k1", "--user", ALICE
    )
    task = Task.objects.get()
    assert out.startswith(f"Submitted task {task.uuid}")
    # count is read as JSON (an integer), name is a string parameter and stays "007".
    assert task.parameters["count"] == 3 and task.parameters["name"] == "007"
    assert task.task_key == "k1" and task.created_by == user
    again = run("gtf_submit", "t.typed", "-p", "count=3", "--key", "k1", "--user", ALICE)
    assert again.startswith(f"Joined active task {task.uuid}")
    err = io.StringIO()
    call_command(
        "gtf_submit",
        "t.typed",
        "-p",
        "count=4",
        "--key",
        "k1",
        "--user",
        ALICE,
        stderr=err,
        stdout=io.StringIO(),
    )
    assert "parameters differ from the ones given" in err.getvalue()


@pytest.mark.django_db
def test_submit_parameters_as_json(null_executor):
    run("gtf_submit", "t.sleep", "--parameters", '{"seconds": 0.5}')
    assert Task.objects.get().parameters == {"seconds": 0.5}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["nope"], "Unknown task type 'nope'"),
        (["t.add", "-p", "a"], "write NAME=VALUE"),
        (["t.add", "-p", "a=x", "--user", ALICE], "a: must be integer, got string"),
        (["t.add", "-p", "a=1"], "A private task needs a user"),
        (["t.add", "-p", "a=1", "--user", "ghost"], "No user with"),
        (["t.add", "--parameters", "{oops"], "--parameters is not valid JSON"),
        (["t.add", "--parameters", "[1]"], "must be a JSON object"),
        (["t.add", "--parameters", "[" * 5000], "nested deeper than 256 levels"),
        (["t.add", "-p", "a=" + "[" * 5000, "--user", ALICE], "a: must be integer, got string"),
        (["t.add", "--parameters", '{"a": "\\u0000"}', "--user", ALICE], "NUL character"),
        (["t.add", "-p", "a=1", "--user", ALICE, "--timeout", "0"], "timeout must be"),
        (["t.add", "--poll", "0"], "--poll must be a positive"),
    ],
)
def test_submit_bad_arguments(user, args, text):
    fails_with(text, "gtf_submit", *args, returncode=1)
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_submit_disabled_type_is_refused(staff):
    TaskType.objects.update_or_create(name="t.shared_noop", defaults={"enabled": False})
    fails_with("Task type 't.shared_noop' is disabled", "gtf_submit", "t.shared_noop")


@pytest.mark.django_db(transaction=True)
def test_wait_exit_code_reflects_the_outcome(user):
    out = run("gtf_submit", "t.progress", "-p", "steps=3", "--user", ALICE, "--wait")
    assert "[##############################] 100.0%  SUCCESS" in out and "succeeded" in out
    error = fails_with(
        "ended FAILURE: cannot reach x",
        "gtf_submit",
        "t.fails",
        "-p",
        "source=x",
        "--user",
        ALICE,
        "--wait",
    )
    assert error.returncode == 3


@pytest.mark.django_db(transaction=True)
def test_wait_shows_live_progress(user, null_executor):
    out = io.StringIO()
    done = threading.Event()

    errors = []

    def wait():
        try:
            call_command(
                "gtf_submit", "t.sleep", "--key", "live", "--wait", "--poll", "0.05", stdout=out
            )
        except BaseException as exc:  # shown by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()
            done.set()

    def shown(line):
        assert not errors, errors
        return line in out.getvalue().splitlines()

    thread = threading.Thread(target=wait)
    thread.start()
    pending = "[..............................]   0.0%  PENDING"
    half = "[###############...............]  50.0%  IN_PROGRESS"
    try:
        task = _wait_for(lambda: Task.objects.filter(task_key="live").first(), "the task")
        # The waiter's own line (the submit line says PENDING too, before the waiter polls).
        _wait_for(lambda: shown(pending), "the pending line")
        # Status and progress in one write: a poll between two writes would show 0% running.
        lifecycle.transition(
            task.pk, current=S.PENDING, target=S.IN_PROGRESS, progress_percent=50.0
        )
        # The task ends only once the waiter has shown it half done, however slow the machine.
        _wait_for(lambda: shown(half), "the half-done line")
        lifecycle.transition(task.pk, current=S.IN_PROGRESS, target=S.SUCCESS)
        assert done.wait(LOADED)
    finally:
        if not done.is_set():  # a step failed: end the task so the waiter stops polling
            Task.objects.filter(task_key="live").update(status=S.FAILURE)
        thread.join(LOADED)
    assert not errors, errors
    lines = out.getvalue().splitlines()
    assert lines[1:3] == [pending, half]
    assert lines[-1].endswith("succeeded.")


@pytest.mark.django_db(transaction=True)
def test_wait_on_a_tty_redraws_one_line(user):
    out = TTY()
    run("gtf_submit", "t.add", "-p", "a=1", "--user", ALICE, "--wait", stdout=out)
    assert "\r[##############################] 100.0%  SUCCESS\n" in out.getvalue()


def _wait_for(predicate, what="condition", timeout=LOADED):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_process_exit_codes(user):
    """The real ``manage.py`` process exits with the documented codes."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],  # as pytest-django set it
        "DATABASE_URL": qcluster.test_database_url(),
    }
    connection.close()

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=qcluster.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = manage("gtf_submit", "t.add", "-p", "a=1", "--user", ALICE, "--wait")
    assert ok.returncode == 0, ok.stderr
    failed = manage("gtf_submit", "t.fails", "--user", ALICE, "--wait")
    assert failed.returncode == 3 and "ended FAILURE" in failed.stderr
    refused = manage("gtf_submit", "nope")
    assert refused.returncode == 1 and "Unknown task type 'nope'" in refused.stderr
    usage = manage("gtf_submit")
    assert usage.returncode == 2 and "task_type" in usage.stderr


# -- gtf_tasks / gtf_abort ------------------------------------------------------------------


@pytest.mark.django_db
def test_tasks_lists_and_filters(null_executor):
    run("gtf_submit", "t.shared_noop", "--key", "one")
    run("gtf_submit", "t.system_noop", "--key", "two")
    out = run("gtf_tasks", "--type", "t.shared_noop")
    assert "t.shared_noop" in out and "t.system_noop" not in out and out.endswith("1 task(s)\n")
    assert run("gtf_tasks", "--status", "SUCCESS").endswith("0 task(s)\n")
    assert run("gtf_tasks", "--active", "--limit", "1").endswith("1 task(s)\n")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "text"),
    [(["--status", "DONE"], "Unknown status 'DONE'"), (["--limit", "0"], "between 1 and 1000")],
)
def test_tasks_bad_arguments(args, text):
    fails_with(text, "gtf_tasks", *args)


@pytest.mark.django_db
def test_abort_a_pending_task(null_executor, user, other):
    run("gtf_submit", "t.shared_noop", "--key", "k", "--user", ALICE)
    run(
        "gtf_submit", "t.shared_noop", "--key", "k", "--user", natural_key("bob")
    )  # a second subscriber
    task = Task.objects.get()
    out = run("gtf_abort", str(task.uuid))
    assert out == f"Task {task.uuid}: ABORTED\n"
    fails_with("The task has already finished", "gtf_abort", str(task.uuid))


@pytest.mark.django_db
def test_abort_bad_arguments():
    fails_with(r"Task not found. \(not-a-uuid\)", "gtf_abort", "not-a-uuid")
    fails_with("Task not found", "gtf_abort", "8a3c3a4e-5d1e-4a8e-9d0a-000000000000")


# -- gtf_types / gtf_orphans ------------------------------------------------------------------


@pytest.mark.django_db
def test_types_list_disable_enable():
    TaskType.objects.create(name="gone.table")
    out = run("gtf_types")
    assert "t.add" in out and "gone.table" in out and "ORPHAN" in out
    assert run("gtf_types", "disable", "t.add", "t.sleep") == "t.add: disabled\nt.sleep: disabled\n"
    assert set(TaskType.objects.filter(enabled=False).values_list("name", flat=True)) == {
        "t.add",
        "t.sleep",
    }
    assert (
        "DISABLED"
        in [line for line in run("gtf_types").splitlines() if line.startswith("t.add ")][0]
    )
    run("gtf_types", "enable", "t.add")
    assert TaskType.objects.get(name="t.add").enabled


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["disable"], "'disable' needs at least one task type name"),
        (["disable", "t.add", "nope"], "Task type 'nope' is neither registered"),
        (["list", "t.add"], "'list' takes no names"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_types_bad_arguments(args, text):
    fails_with(text, "gtf_types", *args)
    assert not TaskType.objects.filter(enabled=False).exists()  # nothing half-done


@pytest.mark.django_db
def test_orphans_lists_and_syncs():
    task = Task.objects.create(task_type="gone.task", task_key="k", scope="shared")
    assert "gone.task (1 pending task(s))" in run("gtf_orphans")
    task.refresh_from_db()
    assert task.status == S.PENDING  # listing changes nothing
    out = run("gtf_orphans", "--sync")
    assert f"ended FAILURE: 1\n  {task.uuid}" in out
    task.refresh_from_db()
    assert task.status == S.FAILURE


@pytest.mark.django_db
def test_orphans_bad_arguments():
    fails_with("unrecognized arguments: --fix", "gtf_orphans", "--fix")


# -- gtf_prune ------------------------------------------------------------------------------


def _finished(days_ago, status=S.SUCCESS):
    ended = timezone.now() - timedelta(days=days_ago)
    return Task.objects.create(
        task_type="t.add", task_key=str(days_ago), scope="private", status=status, ended_at=ended
    )


@pytest.mark.django_db
def test_prune_command(settings):
    settings.GTF = {**settings.GTF, "RETENTION_DAYS": 10}
    old, recent = _finished(11), _finished(9)
    assert run("gtf_prune", "--dry-run") == "Would delete 1 finished task(s).\n"
    assert Task.objects.count() == 2
    assert run("gtf_prune") == "Deleted 1 finished task(s).\n"
    assert list(Task.objects.all()) == [recent] and old.pk not in Task.objects.values_list(
        "pk", flat=True
    )
    assert run("gtf_prune", "--days", "1") == "Deleted 1 finished task(s).\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--days", "0"], "--days: older_than_days must be a whole number of at least 1"),
        (["--batch-size", "-5", "--days", "3"], "--batch-size: batch_size must be"),
        (["--days", "many"], "invalid int value: 'many'"),
    ],
)
def test_prune_bad_arguments(args, text):
    _finished(30)
    fails_with(text, "gtf_prune", *args)
    assert Task.objects.count() == 1


# -- gtf_rerun -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_rerun_a_private_task_as_an_operator(null_executor, user):
    from tasks_app.services import task_submit

    old = task_submit(task_type="t.add", user=user, parameters={"a": 4}, task_key="k").task
    lifecycle.advance(old, S.IN_PROGRESS)
    lifecycle.advance(old, S.FAILURE)
    out = run("gtf_rerun", str(old.uuid))
    new = Task.objects.get(rerun_of=old)
    assert out == f"Rerun as task {new.uuid} (PENDING)\n"
    assert new.created_by == user and new.parameters == old.parameters and new.task_key == "k"
    again = run("gtf_rerun", str(old.uuid))
    assert again == f"An active task holds its key: task {new.uuid} (PENDING)\n"


@pytest.mark.django_db
def test_rerun_as_a_user_applies_their_rules(null_executor, user, other):
    from tasks_app.services import task_submit

    old = task_submit(task_type="t.add", user=user, parameters={"a": 4}).task
    lifecycle.advance(old, S.IN_PROGRESS)
    lifecycle.advance(old, S.SUCCESS)
    fails_with("Task not found", "gtf_rerun", str(old.uuid), "--user", natural_key("bob"))
    assert "Rerun as task" in run("gtf_rerun", str(old.uuid), "--user", ALICE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["not-a-uuid"], "Task not found"),
        (["00000000-0000-4000-8000-000000000000", "--user", "nobody"], "No user with"),
    ],
)
def test_rerun_bad_arguments(args, text):
    fails_with(text, "gtf_rerun", *args)


@pytest.mark.django_db
def test_rerun_of_an_active_task_is_refused(null_executor, user):
    from tasks_app.services import task_submit

    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    fails_with("still active", "gtf_rerun", str(task.uuid))


@pytest.mark.django_db
def test_rerun_of_a_private_task_whose_creator_is_gone(null_executor, user):
    from tasks_app.services import task_submit

    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    lifecycle.advance(task, S.ABORTED)
    user.delete()
    fails_with("creator of this private task is gone", "gtf_rerun", str(task.uuid))
