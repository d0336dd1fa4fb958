"""docs/django-tasks.md's setup, followed literally in a new project (``startproject``, the
doc's settings block for this Django, one app with a task): ``check`` finds no issue."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import django
import pytest

from tests.test_host_project import HostProject

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "django-tasks.md"
pytestmark = pytest.mark.qcluster  # real processes: not in the fast lane

TASKS_PY = """
try:
    from django.tasks import task
except ImportError:  # Django 5.2: the backport
    from django_tasks import task


@task()
def send_receipt(order_id: int) -> str:
    return f"receipt {order_id}"
"""


def settings_block() -> str:
    """The doc's settings block for the Django this runs on."""
    which = "Django 6.x" if django.VERSION >= (6, 0) else "Django 5.2"
    first_line = f"# settings.py (at the end), {which}"
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"{DOC.name} has no block starting with {first_line!r}")


def test_the_setup_passes_check_with_no_warning(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GTF_", "DATABASE_URL", "REDIS_URL"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "hostproj", str(tmp_path)],
        check=True,
        env=env,
        timeout=60,
    )
    project = HostProject(tmp_path, env)
    project.run("startapp", "shop")
    (tmp_path / "shop" / "tasks.py").write_text(TASKS_PY)
    settings = tmp_path / "hostproj" / "settings.py"
    block = settings_block()
    settings.write_text(settings.read_text() + "\n" + block + '\nINSTALLED_APPS += ["shop"]\n')
    project.run("migrate", "-v", "0")
    checked = project.run("check")
    assert checked.stdout.strip() == "System check identified no issues (0 silenced).", (
        checked.stdout + checked.stderr
    )
    # The check saw the task: the type is registered in that project.
    listed = project.run(
        "shell", "-c", "from tasks_app.registry import registry; print(registry.names())"
    )
    assert "shop.tasks.send_receipt" in listed.stdout
