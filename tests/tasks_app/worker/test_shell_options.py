"""Shell command values that would start an option are refused unless the argv makes them safe.

``shell.backup`` (tests/settings.py) is the documented example: ``{target}`` opens its own argv
item, ``--label={label}`` glues its value to an option, ``{path}`` comes after ``--``.
"""

import json

import pytest

from tasks_app.exceptions import ParameterError
from tasks_app.models import Task, TaskStatus
from tasks_app.services import task_submit
from tasks_app.worker import shell
from tests.tasks_app.api.schema_check import SchemaCheckedClient

pytestmark = pytest.mark.django_db
OPTION_LIKE = ["-rf", "--delete-everything", "-", "--"]
SAFE = {"target": "nightly", "label": "x", "path": "/srv/data"}


@pytest.fixture
def api(staff):
    client = SchemaCheckedClient()
    client.force_authenticate(staff)
    return client


def submit_backup(api, **values):
    body = {"task_type": "shell.backup", "parameters": {**SAFE, **values}}
    return api.post("/api/v1/tasks/", body, format="json")


@pytest.mark.parametrize("value", OPTION_LIKE)
def test_an_option_like_value_opening_its_item_is_refused_with_400(api, null_executor, value):
    answer = submit_backup(api, target=value)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "parameter_error" and body["field"] == "parameters.target"
    assert "must not start with '-'" in body["errors"]["parameters.target"][0]
    assert list(body["errors"]) == ["parameters.target"]


@pytest.mark.parametrize("value", OPTION_LIKE)
def test_glued_and_after_double_dash_values_reach_the_program_as_given(
    api, django_capture_on_commit_callbacks, value
):
    with django_capture_on_commit_callbacks(execute=True):  # the immediate executor runs it
        answer = submit_backup(api, label=value, path=value)
    assert answer.status_code == 201, answer.json()
    task = Task.objects.get(uuid=answer.json()["uuid"])
    assert task.status == TaskStatus.SUCCESS, task.error_message
    argv = json.loads(task.result["stdout"])
    assert argv == ["--target", "nightly", f"--label={value}", "--", value]


def test_the_check_also_runs_before_the_command_starts(staff):
    # A task queued before the check existed, run directly: it never reaches the program.
    command = shell.parse("backup", ["/bin/echo", "{target}"])
    with pytest.raises(ValueError, match="'target' must not start with '-'"):
        shell.execute(command, {"target": "-n"}, ctx=None)  # type: ignore[arg-type]


def test_the_web_form_shows_the_refusal_on_its_field(client, staff, null_executor):
    client.force_login(staff)
    fields = {f"p-{name}": value for name, value in {**SAFE, "target": "-rf"}.items()}
    page = client.post("/tasks/types/shell.backup/submit/", {**fields, "scope": "system"})
    assert page.status_code == 400
    assert "must not start with &#x27;-&#x27;" in page.content.decode()


def test_leading_placeholders_per_item_stop_at_text_and_at_double_dash():
    command = shell.parse(
        "c", ["prog", "{a}", "{b}{c}", "x{d}", "-o{e}", "{{{f}", "--", "{g}", "{h}"]
    )
    assert command.leading == [("a",), ("b", "c")]
    # Two placeholders open one item: the first that is not empty decides.
    assert command.option_problems({"b": "", "c": "-x"}).keys() == {"c"}
    assert command.option_problems({"b": "ok", "c": "-x"}) == {}
    assert command.option_problems({"d": "-x", "e": "-x", "f": "-x", "g": "-x", "h": "-x"}) == {}


def test_a_configured_default_is_the_operator_s_own(staff, null_executor):
    spec = {"argv": ["prog", "{mode}"], "defaults": {"mode": "--dry-run"}}
    command = shell.parse("c", spec)
    assert command.option_problems({"mode": "--dry-run"}) == {}
    assert command.option_problems({"mode": "--force"}).keys() == {"mode"}


def test_the_service_refuses_through_the_parameter_error_path(staff, null_executor):
    with pytest.raises(ParameterError) as refused:
        task_submit(task_type="shell.backup", user=staff, parameters={**SAFE, "target": "-x"})
    assert set(refused.value.errors) == {"target"}
