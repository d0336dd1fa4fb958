import pytest
from asgiref.sync import async_to_sync

from tasks_app.backends.compat import SOURCE


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what a block enqueues as its transaction commits (the immediate executor)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sync():
    """Call an async API from a test (in the test's thread and transaction)."""
    return async_to_sync


@pytest.fixture
def tasks_logger() -> str:
    """The logger of Django's tasks framework: core or backport."""
    return SOURCE
