"""Every cell of {scope} x {caller} x {endpoint} (docs/design.md, "Scopes and
permissions"): who sees a task, and what abort does for them. A task the caller may not
see answers 404, never 403. "staff" here is an operator (staff with the operator
permissions); staff without them: tests/tasks_app/test_permission_matrix.py."""

import pytest

from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tests.factories import StaffFactory, UserFactory, operator

pytestmark = pytest.mark.django_db

SCOPES = ["private", "shared", "system"]
CALLERS = ["creator", "other_subscriber", "non_subscriber", "staff", "anonymous"]
ENDPOINTS = ["list", "retrieve", "status", "abort", "subscribers"]

SEES = {
    "private": {"creator", "staff"},
    "shared": {"creator", "other_subscriber", "staff"},
    "system": {"creator", "staff"},  # the creator of a system task is staff
}
# What abort does for a caller who sees the task (the shared task has two subscribers).
ABORT_ACTION = {
    ("private", "creator"): "aborted",
    ("private", "staff"): "aborted",
    ("shared", "creator"): "unsubscribed",
    ("shared", "other_subscriber"): "unsubscribed",
    ("shared", "staff"): "aborted",
    ("system", "creator"): "aborted",
    ("system", "staff"): "aborted",
}


@pytest.fixture
def world(submit):
    """One task of ``scope`` plus one user per caller role."""

    def make(scope):
        users = {
            "creator": StaffFactory(username="sysop") if scope == "system" else UserFactory(),
            "other_subscriber": UserFactory(username="bob"),
            "non_subscriber": UserFactory(username="carol"),
            "staff": operator(username="admin"),
            "anonymous": None,
        }
        task = submit(users["creator"], "t.shared_noop", scope=scope, task_key="matrix")
        # A subscription row never grants sight of a private or system task.
        TaskSubscriber.objects.create(task=task, user=users["other_subscriber"])
        return task, users

    return make


def call(client, endpoint, task):
    base = f"/api/v1/tasks/{task.uuid}/"
    if endpoint == "list":
        return client.get("/api/v1/tasks/")
    if endpoint == "retrieve":
        return client.get(base)
    if endpoint == "status":
        return client.get(base + "status/")
    if endpoint == "abort":
        return client.post(base + "abort/", {}, format="json")
    return client.get(base + "subscribers/")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("scope", SCOPES)
def test_permission_matrix(scope, caller, endpoint, world, client_for):
    task, users = world(scope)
    response = call(client_for(users[caller]), endpoint, task)

    if caller == "anonymous":
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"
        assert Task.objects.get(pk=task.pk).status == TaskStatus.PENDING
        return
    sees = caller in SEES[scope]
    if endpoint == "list":
        assert response.status_code == 200
        listed = {row["uuid"] for row in response.json()["results"]}
        assert (str(task.uuid) in listed) is sees
        return
    if not sees:
        assert response.status_code == 404, response.content
        assert response.json() == {
            "detail": "Task not found.",
            "code": "task_not_found",
            "field": None,
        }
        assert Task.objects.get(pk=task.pk).status == TaskStatus.PENDING
        assert TaskSubscriber.objects.filter(task=task).count() == (2 if scope == "shared" else 1)
        return
    assert response.status_code == 200, response.content
    body = response.json()
    if endpoint == "retrieve":
        assert body["uuid"] == str(task.uuid) and body["scope"] == scope
    elif endpoint == "status":
        assert body["status"] == TaskStatus.PENDING
    elif endpoint == "subscribers":
        names = {row["user"]["username"] for row in body["results"]}
        expected = {users["other_subscriber"].get_username()}
        if scope == "shared":
            expected.add(users["creator"].get_username())
        assert names == expected
    else:
        action = ABORT_ACTION[scope, caller]
        assert body["action"] == action
        task.refresh_from_db()
        if action == "aborted":
            assert task.status == TaskStatus.ABORTED
        else:
            assert task.status == TaskStatus.PENDING
            assert not TaskSubscriber.objects.filter(task=task, user=users[caller]).exists()
