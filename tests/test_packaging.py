"""The wheel: migrations, templates and static files of both apps, the license, metadata; no
tests, benchmarks or demo project; and a build without warnings."""

import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Files a host's templates or static would hold; added to a copy, to test the globs.
EXTRA = ["tasks_app/templates/tasks_app/probe.html", "state_app/static/state_app/probe.css"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the wheel and sdist from a copy of the tracked files plus :data:`EXTRA`."""
    src = tmp_path_factory.mktemp("src")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    for name in EXTRA:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text("probe\n")
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # No isolation: the dev environment has setuptools and build (no download in the test).
    run = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    wheel = next(out.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    return src, names, Parser().parsestr(metadata.decode()), run.stdout + run.stderr


pytestmark = pytest.mark.qcluster  # builds in a subprocess: not in the fast lane


def test_build_has_no_warnings(built):
    output = built[3]
    lines = [line for line in output.splitlines() if "warning" in line.lower()]
    assert not lines, lines


def test_wheel_holds_every_migration_template_and_static_file(built):
    src, names, _, _ = built
    for app in ("tasks_app", "state_app"):
        for path in (src / app).rglob("*"):
            rel = path.relative_to(src).as_posix()
            if path.is_file() and "__pycache__" not in rel:
                assert rel in names, rel
    assert set(EXTRA) <= names
    assert {"tasks_app/migrations/0001_task_and_subscriber.py"} <= names


def test_wheel_leaves_out_tests_benchmarks_and_the_demo(built):
    _, names, _, _ = built
    tops = {name.split("/")[0] for name in names}
    assert tops == {"tasks_app", "state_app", "django_gtf-0.1.0.dist-info"}, tops


def test_metadata_names_the_license_and_django_versions(built):
    _, names, metadata, _ = built
    assert metadata["License-Expression"] == "Apache-2.0"
    assert "django_gtf-0.1.0.dist-info/licenses/LICENSE" in names
    classifiers = metadata.get_all("Classifier")
    assert {"Framework :: Django :: 5.2", "Framework :: Django :: 6.1"} <= set(classifiers)
    assert not any(c.startswith("License ::") for c in classifiers)  # the expression says it
    assert (ROOT / "LICENSE").read_text().count("Apache License") >= 1
