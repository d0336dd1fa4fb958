import pytest
from django.db import connection

from tasks_app import TaskContext
from tasks_app.models import Task


@pytest.fixture
def require_postgres():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."


@pytest.fixture
def require_row_locks():
    assert connection.vendor in ("postgresql", "mysql"), "this test needs PostgreSQL or MariaDB"


def make_task(user, *, scope="private", key=None):
    return Task.objects.create(
        task_type="t.add",
        task_key=key or f"k-{Task.objects.count()}",
        scope=scope,
        created_by=user,
    )


def context_for(task, attempt=1):
    """The context a worker builds for ``task`` (no worker needed to use its state API)."""
    return TaskContext(
        task_id=task.pk, uuid=task.uuid, task_type=task.task_type, attempt=attempt, payload={}
    )


@pytest.fixture
def task(user):
    return make_task(user)


@pytest.fixture
def ctx(task):
    return context_for(task)


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


def entry_url(task, key):
    return f"/api/v1/tasks/{task.uuid}/state/{key}/"


def asset_url(asset, key=None):
    return f"/api/v1/assets/{asset}/state/" + (f"{key}/" if key is not None else "")
