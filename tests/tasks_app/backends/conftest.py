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


@pytest.fixture
def jobs():
    """``tests.testapp.jobs``, imported for one test only: the types it registers would
    otherwise stay in this process's registry, which other tests compare with a worker's."""
    import importlib
    import sys

    from tasks_app.backends import registration
    from tasks_app.registry import registry

    module = importlib.import_module("tests.testapp.jobs")
    yield module
    name = registration.type_name(module.multiply)
    registry.unregister(name)
    registration.index.forget(name)
    sys.modules.pop(module.__name__, None)
