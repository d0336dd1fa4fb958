"""GTF in a host project made as a new user would: ``django-admin startproject``, the README's
install snippet pasted at the end of settings.py and urls.py, one app with a task.

Runs ``migrate``, ``check``, a submit through the API with a token, and a worker; and the
same project with a second database and a router (``migrate --database=...``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
pytestmark = pytest.mark.qcluster  # real processes: not in the fast lane

TASKS_PY = """
from tasks_app import TaskContext, task


@task(name="reports.add", scope="private", timeout=60)
def add(ctx: TaskContext, a: int, b: int = 1) -> int:
    ctx.update(progress=(1, 1))
    return a + b
"""

ROUTER_PY = '''
GTF_APPS = {"tasks_app", "state_app", "django_q"}


class GTFRouter:
    """GTF and its queue live in the "jobs" database; everything else in "default"."""

    def _db(self, model):
        return "jobs" if model._meta.app_label in GTF_APPS else "default"

    def db_for_read(self, model, **hints):
        return self._db(model)

    def db_for_write(self, model, **hints):
        return self._db(model)

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in GTF_APPS:
            return db == "jobs"
        if app_label in {"auth", "contenttypes"}:  # GTF's tables refer to users
            return db in ("default", "jobs")
        return db == "default"
'''


def readme_block(first_line: str, language: str = "python") -> str:
    """The README's fenced block whose first line is ``first_line``."""
    for block in re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"README has no {language} block starting with {first_line!r}")


def readme_install_commands() -> list[str]:
    block = readme_block("python manage.py migrate", "sh")
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


class HostProject:
    def __init__(self, path: Path, env: dict[str, str]):
        self.path = path
        self.env = env

    def run(self, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            **kwargs,
        )
        if check:
            assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
        return result

    def shell(self, command: str) -> subprocess.CompletedProcess:
        """A README line as written, with this Python as ``python`` (an activated venv)."""
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    @contextmanager
    def process(self, *args: str, log: str):
        with open(self.path / log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=self.path,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            yield proc
        finally:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def make_project(tmp_path: Path, *, extra_settings: str = "") -> HostProject:
    bin_dir = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GTF_", "DATABASE_URL", "REDIS_URL"))
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "hostproj", str(tmp_path)],
        check=True,
        env=env,
        timeout=60,
    )
    project = HostProject(tmp_path, env)
    project.run("startapp", "reports")
    (tmp_path / "reports" / "tasks.py").write_text(TASKS_PY)
    (tmp_path / "reports" / "routers.py").write_text(ROUTER_PY)
    settings = tmp_path / "hostproj" / "settings.py"
    settings.write_text(
        settings.read_text()
        + "\n"
        + readme_block("# settings.py (at the end)")
        + '\nINSTALLED_APPS += ["reports"]\n'
        + extra_settings
    )
    urls = tmp_path / "hostproj" / "urls.py"
    urls.write_text(urls.read_text() + "\n" + readme_block("# urls.py (at the end)"))
    return project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except urllib.error.URLError:
        return 0, {}  # not listening yet


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def test_readme_snippet_in_a_fresh_project(tmp_path):
    project = make_project(tmp_path)
    commands = readme_install_commands()
    assert commands[:2] == ["python manage.py migrate", "python manage.py check"]
    for command in commands[:2]:
        result = project.shell(command)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    assert "System check identified no issues" in project.shell(commands[1]).stdout
    project.env["DJANGO_SUPERUSER_PASSWORD"] = "pw-for-the-test"
    project.run("createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.com")
    token_line = next(c for c in commands if "drf_create_token" in c)
    token = project.shell(token_line.replace("<your username>", "admin")).stdout.split()[2]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with project.process("runserver", "--noreload", f"127.0.0.1:{port}", log="web.log"):
        wait_for(lambda: call(f"{base}/api/v1/", token)[0] == 200, timeout=60, what="runserver")
        root = call(f"{base}/api/v1/", token)[1]
        assert (
            root["tasks"] == f"{base}/api/v1/tasks/" and root["assets"] == f"{base}/api/v1/assets/"
        )
        status, task = call(
            f"{base}/api/v1/tasks/", token, {"type": "reports.add", "parameters": {"a": 2}}
        )
        assert status == 201, task
        assert task["status"] == "PENDING" and task["created_by"]["username"] == "admin"
        worker = next(c for c in commands if "qcluster" in c).split()[2:]
        with project.process(*worker, log="worker.log"):
            done = wait_for(
                lambda: (
                    call(task["links"]["self"], token)[1].get("status") == "SUCCESS"
                    and call(task["links"]["self"], token)[1]
                ),
                timeout=90,
                what="the task to succeed on the worker",
            )
        assert done["result"] == 3 and done["progress"]["percent"] == 100.0
        docs = urllib.request.urlopen(f"{base}/api/docs/", timeout=10).read().decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
        assert all(a.startswith("/") for a in assets), assets  # served here, not by a CDN
        assert urllib.request.urlopen(f"{base}/api/schema/", timeout=10).status == 200


def test_a_router_and_a_second_database(tmp_path):
    project = make_project(
        tmp_path,
        extra_settings=(
            'DATABASES["jobs"] = {"ENGINE": "django.db.backends.sqlite3", '
            '"NAME": BASE_DIR / "jobs.sqlite3"}\n'
            'DATABASE_ROUTERS = ["reports.routers.GTFRouter"]\n'
            'Q_CLUSTER["orm"] = "jobs"\n'
        ),
    )
    # "default" first: GTF's tables are not there, and its post-migrate work must wait.
    project.run("migrate")
    project.run("migrate", "--database=jobs")
    types = (
        project.run(
            "shell",
            "-c",
            "from tasks_app.models import TaskType; from django_q.models import Schedule; "
            "print(sorted(TaskType.objects.using('jobs').values_list('name', flat=True)), "
            "Schedule.objects.using('jobs').filter(name__startswith='gtf.').count())",
        )
        .stdout.strip()
        .splitlines()[-1]
        .split("] ")
    )
    assert types[0] == "['reports.add'" and int(types[1]) >= 2  # synced, jobs installed
    project.run("check")
