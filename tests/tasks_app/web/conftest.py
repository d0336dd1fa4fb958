import pytest

from tasks_app.services import task_submit
from tasks_app.web import feed as feed_module


@pytest.fixture
def submit(null_executor):
    """``submit(user, task_type, **options)``: a PENDING task made through the service."""

    def make(user, task_type="t.add", parameters=None, **options):
        if parameters is None and task_type == "t.add":
            parameters = {"a": 1}
        return task_submit(task_type=task_type, user=user, parameters=parameters, **options).task

    return make


@pytest.fixture
def login(client):
    """``login(user)``: the test client, signed in as ``user``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def fresh_feed(monkeypatch):
    """The process's change feed, new for this test and stopped after it."""
    feed = feed_module.ChangeFeed()
    monkeypatch.setattr(feed_module, "_feed", feed)
    yield feed
    feed.stop()
