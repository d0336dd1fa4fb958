"""The list benchmark runs on the current schema: a small fill and a short measurement."""

import json
import sys

import pytest

from bench import api_list
from tasks_app.models import Task, TaskSubscriber
from tasks_app.registry import registry

# The fill is PostgreSQL's COPY and TRUNCATE, which run outside a test's transaction.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def bench_types():
    yield
    for n in range(api_list.TYPES):
        registry.unregister(f"bench.type{n}")


def test_a_small_run_fills_measures_and_reports_every_line(bench_types, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["api_list", "--tasks", "300", "--runs", "2"])
    api_list.main()
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("RESULT ")
    result = json.loads(out[-1].removeprefix("RESULT "))
    statuses = ["PENDING", "IN_PROGRESS", "SUCCESS", "FAILURE", "all"]
    lines = {f"{who}_{status}" for who in ("user", "staff") for status in statuses}
    assert set(result["p95_ms"]) == lines
    assert all(ms > 0 for ms in result["p95_ms"].values())
    assert set(result["runs_ms"]["baseline_p95"]) == lines
    assert Task.objects.count() == 300
    assert TaskSubscriber.objects.filter(task__scope="shared").exists()


def test_columns_a_row_does_not_give_take_the_models_defaults(bench_types):
    api_list.register_types()
    api_list.fill(50)
    defaulted = {"claimed_by", "dedup_key", "is_abortable", "result", "heartbeat_at", "payload"}
    template = Task()
    for task in Task.objects.all():
        for name in defaulted:
            assert getattr(task, name) == getattr(template, name), name
