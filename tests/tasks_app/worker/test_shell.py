"""Shell commands as task types (commands configured in tests/settings.py).

Abort through a real worker is in test_ops_qcluster.py.
"""

import json
import os
import re
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tasks_app.exceptions import SubmitForbidden
from tasks_app.models import TaskStatus
from tasks_app.registry import registry
from tasks_app.services import task_submit
from tasks_app.worker import shell

S = TaskStatus

INJECTIONS = [
    "; rm -rf {tmp}",
    "$(touch {tmp}/dollar)",
    "`touch {tmp}/backtick`",
    "line1\nline2; touch {tmp}/newline",
    "| cat /etc/passwd",
    "&& touch {tmp}/and",
    "> {tmp}/redirect",
    "*",
    "~",
    "${{HOME}}",
    "'single' \"double\" \\back",
    "{{second}}",
    "",
]


@pytest.fixture
def run(staff, django_capture_on_commit_callbacks):
    def _run(task_type, **parameters):
        with django_capture_on_commit_callbacks(execute=True):
            task = task_submit(task_type=task_type, user=staff, parameters=parameters).task
        task.refresh_from_db()
        return task

    return _run


@pytest.mark.django_db
def test_commands_are_registered_from_settings_with_string_parameters():
    definition = registry.get("shell.argv")
    assert definition.scope == "system"
    assert definition.signature.json_schema()["required"] == ["first", "second"]
    assert definition.signature.json_schema()["properties"]["first"] == {"type": "string"}


@pytest.mark.django_db
def test_success_captures_exit_code_and_output(run):
    task = run("shell.argv", first="hello world", second="x y")
    assert task.status == S.SUCCESS
    assert task.result["exit_code"] == 0 and task.result["truncated"] is False
    # Each parameter is exactly one argv item; "{{literal}}" in the template stays braces.
    assert json.loads(task.result["stdout"]) == ["hello world", "--label=x y", "{literal}"]
    assert task.result["stderr"] == ""


@pytest.mark.django_db
@pytest.mark.parametrize("attempt", INJECTIONS)
def test_injection_attempts_are_literal_argv_items(run, tmp_path, attempt):
    value = attempt.format(tmp=tmp_path)
    task = run("shell.argv", first=value, second=value)
    assert task.status == S.SUCCESS, task.error_message
    assert json.loads(task.result["stdout"]) == [value, f"--label={value}", "{literal}"]
    assert list(tmp_path.iterdir()) == []  # nothing the value asked for was run


@pytest.mark.django_db
def test_non_zero_exit_ends_failure_with_output(run):
    task = run("shell.fails")
    assert task.status == S.FAILURE
    assert task.error_message == "fails exited with code 3. boom"
    assert task.error_type == "tasks_app.worker.shell.ShellCommandFailed"
    assert task.payload["exit_code"] == 3
    assert task.payload["stdout"] == "partial\n" and task.payload["stderr"] == "boom\n"


@pytest.mark.django_db
def test_environment_and_working_directory_are_controlled(run, settings, monkeypatch):
    monkeypatch.setenv("GTF_SECRET_OF_THE_WORKER", "leak")
    settings.GTF = {**settings.GTF, "SHELL_ENV": {"PATH": "/usr/bin:/bin"}}
    task = run("shell.where")
    out = json.loads(task.result["stdout"])
    assert out["env"].get("GTF_SECRET_OF_THE_WORKER") is None
    assert out["env"]["GTF_SHELL_TEST"] == "yes" and out["env"]["PATH"] == "/usr/bin:/bin"
    assert os.path.basename(out["cwd"]).startswith("gtf-shell-")
    assert not os.path.exists(out["cwd"])  # the scratch directory is removed


@pytest.mark.django_db
def test_output_is_capped(run, settings):
    settings.GTF = {**settings.GTF, "SHELL_OUTPUT_LIMIT": 1000}
    task = run("shell.chatty")
    assert task.status == S.SUCCESS
    assert task.result["stdout"] == "x" * 1000 and task.result["truncated"] is True


@pytest.mark.django_db
def test_missing_parameter_and_non_staff_are_refused_at_submit(user, staff):
    from tasks_app.exceptions import ParameterError

    with pytest.raises(ParameterError, match="second: missing required parameter"):
        task_submit(task_type="shell.argv", user=staff, parameters={"first": "a"})
    with pytest.raises(ParameterError, match="first: must be string, got integer"):
        task_submit(task_type="shell.argv", user=staff, parameters={"first": 1, "second": "b"})
    with pytest.raises(SubmitForbidden):
        task_submit(task_type="shell.argv", user=user, parameters={"first": "a", "second": "b"})


@pytest.mark.django_db(transaction=True)
def test_timeout_kills_the_process_group(staff, settings, tmp_path):
    settings.GTF = {**settings.GTF, "ABORT_POLL_INTERVAL": 0.1, "SHELL_KILL_GRACE": 1.0}
    pidfile = tmp_path / "pids"
    # Same as the "short" command, but with the sleeper's child process to check.
    task = task_submit(
        task_type="shell.sleeper", user=staff, parameters={"pidfile": str(pidfile)}, timeout=2
    ).task
    task.refresh_from_db()
    assert task.status == S.TIMED_OUT
    # Far below the command's 60 s and its 120 s sleep, with room for a loaded machine.
    assert task.duration_seconds < 30
    for pid in map(int, pidfile.read_text().split()):
        assert not _alive(pid), f"process {pid} of the group survived"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its (killed) parent.
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("echo hi", "must be an argv list"),
        ([], "non-empty list of strings"),
        (["{prog}", "x"], "cannot be a placeholder"),
        ({"argv": ["echo"], "shell": True}, "unknown option(s) ['shell']"),
        ({"argv": ["echo"], "cwd": "relative"}, "absolute path"),
        ({"argv": ["echo"], "env": {"A": 1}}, "map strings to strings"),
        ({"argv": ["echo", "{a}"], "defaults": {"b": "x"}}, "placeholders only"),
    ],
)
def test_bad_configuration_is_refused(spec, text):
    with pytest.raises(ImproperlyConfigured, match=re.escape(text)):
        shell.parse("bad", spec)


def test_defaults_make_parameters_optional():
    command = shell.parse(
        "greet", {"argv": [sys.executable, "{greeting}"], "defaults": {"greeting": "hi"}}
    )
    signature = shell.definition_for(command).signature
    assert signature.json_schema()["required"] == []
    assert command.render({"greeting": "$(x)"}) == [sys.executable, "$(x)"]
