"""The README's commands from a clone work as written: manage.py through the clone's
virtualenv, the token line, the curl bodies (an abortable type, aborted while it runs) and
the gtf_submit line."""

import io
import json
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

from tasks_app import lifecycle
from tasks_app.models import Task, TaskStatus
from tasks_app.registry import registry
from tests.factories import StaffFactory, natural_key

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# The host-project section runs in the host's own environment; the rest in this clone.
CLONE_PART = (
    README[: README.index("## Install into your project")]
    + README[README.index("## Write a task") :]
)
pytestmark = pytest.mark.django_db


def shell_lines(text: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()]


def manage_args(line: str) -> list[str]:
    """The arguments after ``manage.py`` of a README line."""
    words = shlex.split(line.split("#")[0])
    return words[words.index("manage.py") + 1 :]


def test_manage_commands_use_the_clones_virtualenv():
    lines = [line for line in shell_lines(CLONE_PART) if "manage.py" in line]
    # Inline commands too (a bare `manage.py qcluster` names a command, it is not one to run).
    inline = re.findall(r"`([^`]*python[^`]* manage\.py[^`]*)`", CLONE_PART)
    assert lines, "the README shows manage.py commands"
    for line in lines + inline:
        assert re.search(r"(^|\$\()\.venv/bin/python manage\.py ", line), line


@pytest.fixture
def admin(db):
    return StaffFactory(username="admin", is_superuser=True)


def test_token_line(admin):
    line = next(line for line in shell_lines(CLONE_PART) if "drf_create_token" in line)
    inner = re.search(r"\$\((.*?)\|", line).group(1)
    out = io.StringIO()
    args = [natural_key(a) if a == "admin" else a for a in manage_args(inner)]
    call_command(*args, stdout=out)
    field = int(re.search(r"awk '\{print \$(\d)\}'", line).group(1))
    token = out.getvalue().split()[field - 1]
    assert len(token) == 40 and admin.auth_token.key == token


def test_curl_submit_then_abort_while_running(admin, null_executor):
    from rest_framework.test import APIClient

    lines = [line for line in shell_lines(CLONE_PART) if line.startswith("curl")]
    submit = next(line for line in lines if "-d " in line)
    body = json.loads(shlex.split(submit)[shlex.split(submit).index("-d") + 1])
    assert registry.get(body["type"]).abortable  # the example can be aborted once it runs
    api = APIClient()
    api.force_authenticate(admin)
    created = api.post("/api/v1/tasks/", body, format="json")
    assert created.status_code == 201, created.content
    uuid = created.json()["uuid"]
    assert any("/api/v1/tasks/<uuid>/status/" in line for line in lines)
    assert api.get(f"/api/v1/tasks/{uuid}/status/").status_code == 200
    task = Task.objects.get(uuid=uuid)
    lifecycle.transition(task.pk, current=TaskStatus.PENDING, target=TaskStatus.IN_PROGRESS)
    abort = next(line for line in lines if "/abort/" in line)
    assert "-X POST" in abort
    aborted = api.post(f"/api/v1/tasks/{uuid}/abort/")
    assert aborted.status_code == 200 and aborted.json()["action"] == "aborted"


@pytest.mark.django_db(transaction=True)
def test_gtf_submit_line(admin):
    line = next(line for line in shell_lines(CLONE_PART) if "gtf_submit" in line)
    args = manage_args(line)
    args[args.index("--user") + 1] = natural_key(args[args.index("--user") + 1])
    out = io.StringIO()
    call_command(*args, stdout=out)  # the test executor runs the task at once
    assert "succeeded" in out.getvalue()
    assert Task.objects.get().status == TaskStatus.SUCCESS
