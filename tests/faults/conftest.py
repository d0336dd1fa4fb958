import shutil

import pytest
from django.db import connection

from tasks_app.worker.executors import django_q
from tests.faults.harness import FAULT_GTF, RedisServer
from tests.qcluster import DJANGO_Q_EXECUTOR


@pytest.fixture
def gtf_settings(settings):
    settings.GTF = {**settings.GTF, **FAULT_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    yield settings.GTF
    connection.close()


@pytest.fixture
def redis_server(tmp_path, require_service):
    require_service(
        "redis-server",
        shutil.which("redis-server") is not None,
        "apt-get install -y redis-server (.ci/run installs it)",
    )
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_broker(redis_server, monkeypatch):
    """GTF's broker on a Redis server of the test's own; returns the Q_CLUSTER options the
    test's clusters need (the test process submits through the same broker)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", redis_server.url)
    monkeypatch.setattr(django_q, "_brokers", {})
    return {"orm": None, "redis": redis_server.url}


@pytest.fixture(params=["orm", "redis"])
def broker(request):
    """GTF's broker on the task table, or on Redis: the Q_CLUSTER options for clusters."""
    return {} if request.param == "orm" else request.getfixturevalue("redis_broker")
