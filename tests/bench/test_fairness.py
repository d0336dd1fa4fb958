"""The benches' baselines: raw Django-Q2 reuses one broker, the bench settings give both
sides the same connection settings and the cluster the workers asked for, modes interleave."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.brokers import Broker
from django_q.conf import Conf
from django_q.models import OrmQ

from bench import clock, harness
from bench.harness import ROOT, interleave, raw_broker, raw_submit
from tasks_app.worker.executors.broker import GTFBroker


def bench_settings(**env: str) -> dict:
    code = (
        "import json, bench.settings as s; print(json.dumps({'workers': s.Q_CLUSTER['workers'],"
        " 'health': s.DATABASES['default']['CONN_HEALTH_CHECKS']}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GTF_", "DJANGO_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_the_bench_cluster_runs_the_workers_asked_for():
    assert bench_settings(GTF_Q_WORKERS="5")["workers"] == 5
    assert bench_settings(GTF_Q_WORKERS="3")["workers"] == 3


def test_health_checks_are_off_for_both_sides_unless_asked_for():
    assert bench_settings()["health"] is False
    assert bench_settings(GTF_BENCH_HEALTH_CHECKS="1")["health"] is True


@pytest.mark.django_db
def test_raw_submit_reuses_one_plain_broker_and_writes_one_row(monkeypatch):
    monkeypatch.setattr(harness, "_raw_brokers", {})
    monkeypatch.setattr(Conf, "ORM", "default")  # the ORM broker, whatever the run's broker
    monkeypatch.setattr(Conf, "REDIS", None)
    broker = raw_broker()
    assert isinstance(broker, Broker) and not isinstance(broker, GTFBroker)
    assert raw_broker() is broker
    raw_submit()  # warm: the first call may prepare things
    with CaptureQueriesContext(connection) as captured:
        raw_submit()
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]
    assert OrmQ.objects.count() == 2


def test_interleave_rotates_the_order_and_times_each_block():
    calls: list[str] = []
    modes = {name: (lambda i, n=name: calls.append(n)) for name in ("a", "b", "c")}
    rates = interleave(modes, rounds=4, block=2)
    assert {k: len(v) for k, v in rates.items()} == {"a": 4, "b": 4, "c": 4}
    firsts = calls[::6]
    assert firsts == ["a", "b", "c", "a"]
    assert calls[:6] == ["a", "a", "b", "b", "c", "c"]
    assert all(r > 0 for v in rates.values() for r in v)


def test_the_clock_keeps_each_process_first_start(tmp_path, monkeypatch):
    monkeypatch.setenv(clock.ENV, str(tmp_path))
    monkeypatch.setattr(clock, "_stamped", False)
    assert clock.first_start(tmp_path) is None
    clock.stamp_first_start()
    first = clock.first_start(tmp_path)
    clock.stamp_first_start()  # a later task of the same worker
    assert clock.first_start(tmp_path) == first
    (tmp_path / "start-1").write_text(repr(first - 5))  # another worker, earlier
    assert clock.first_start(tmp_path) == first - 5
