"""CI cannot go green by running less: a session on another database or broker than the leg
declares stops at start, and a missing program fails its tests when CI requires it."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.qcluster import ROOT

ENGINES = ("postgresql", "sqlite", "mysql")


def pytest_run(env: dict[str, str]) -> subprocess.CompletedProcess:
    """A pytest session on one quick test of this file, with ``env`` added."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            f"{__file__}::test_nothing",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_nothing():
    """The test the sessions below would run."""


def test_a_session_on_another_engine_or_broker_than_declared_stops_at_start():
    engine = next(e for e in ENGINES if e != connection.vendor)
    broker = "orm" if settings.Q_CLUSTER.get("redis") else "redis"
    run = pytest_run({"GTF_EXPECT_ENGINE": engine, "GTF_EXPECT_BROKER": broker})
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert f"GTF_EXPECT_ENGINE={engine} but the default database is" in run.stderr
    assert settings.DATABASES["default"]["ENGINE"] in run.stderr
    assert f"GTF_EXPECT_BROKER={broker} but Q_CLUSTER uses" in run.stderr
    assert "passed" not in run.stdout


def outcome(call) -> BaseException | None:
    """What ``call`` raised, a skip included (caught here, it cannot skip this test)."""
    try:
        call()
    except BaseException as exc:  # pytest's skip and fail are BaseExceptions
        return exc
    return None


def test_a_missing_program_fails_when_ci_requires_it(require_service, monkeypatch):
    monkeypatch.setenv("GTF_REQUIRE_SERVICES", "1")
    raised = outcome(lambda: require_service("redis-server", False, "install it"))
    assert isinstance(raised, pytest.fail.Exception), raised
    assert "redis-server is missing: install it" in str(raised)
    assert outcome(lambda: require_service("redis-server", True, "install it")) is None


def test_a_missing_program_skips_on_a_developer_machine(require_service, monkeypatch):
    monkeypatch.delenv("GTF_REQUIRE_SERVICES", raising=False)
    raised = outcome(lambda: require_service("redis-server", False, "install it"))
    assert isinstance(raised, pytest.skip.Exception), raised
    assert "redis-server is missing: install it" in str(raised)
