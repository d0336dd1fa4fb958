"""The benchmarks' reset leaves nothing queued, whichever broker Django-Q2 uses."""

import os

import pytest
from django_q.brokers import get_broker
from django_q.conf import Conf

from bench.harness import reset_queue
from tasks_app.models import Task
from tests.factories import TaskFactory

# The reset is PostgreSQL's TRUNCATE, which runs outside a test's transaction.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def redis_broker(monkeypatch):
    """Django-Q2 on a Redis database of the tests (its settings are read at import)."""
    monkeypatch.setattr(
        Conf, "REDIS", os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    )
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"gtfbenchtest{os.getpid()}")
    broker = get_broker()
    yield broker
    broker.delete_queue()


def test_reset_empties_the_tables_and_the_redis_queue(redis_broker):
    TaskFactory()
    redis_broker.enqueue("left over from the last round")
    assert redis_broker.queue_size() == 1
    reset_queue()
    assert redis_broker.queue_size() == 0
    assert not Task.objects.exists()
