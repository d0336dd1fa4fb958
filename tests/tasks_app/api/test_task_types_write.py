"""PATCH /api/v1/task-types/{name}/ (staff) and what the switch does to submit and start;
orphan types in the list and detail."""

import pytest

from tasks_app.models import Task, TaskStatus, TaskType
from tasks_app.worker.runner import run_task

pytestmark = pytest.mark.django_db

URL = "/api/v1/task-types/t.add/"


def test_staff_disables_and_enables_a_type_seen_by_submit(client_for, staff, user, null_executor):
    admin, api = client_for(staff), client_for(user)
    off = admin.patch(URL, {"enabled": False}, format="json")
    assert off.status_code == 200 and off.json()["enabled"] is False
    row = TaskType.objects.get(name="t.add")
    assert row.enabled is False and row.updated_by == staff
    assert api.get(URL).json()["enabled"] is False

    refused = api.post("/api/v1/tasks/", {"task_type": "t.add", "parameters": {"a": 1}}, "json")
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Task type 't.add' is disabled.",
        "code": "task_type_disabled",
        "field": None,
    }
    assert not Task.objects.exists()

    assert admin.patch(URL, {"enabled": True}, format="json").json()["enabled"] is True
    accepted = api.post("/api/v1/tasks/", {"task_type": "t.add", "parameters": {"a": 1}}, "json")
    assert accepted.status_code == 201


def test_pending_task_of_a_type_disabled_through_the_api_is_not_started(
    client_for, staff, user, null_executor
):
    api = client_for(user)
    task = api.post("/api/v1/tasks/", {"task_type": "t.add", "parameters": {"a": 1}}, "json")
    uuid = task.json()["uuid"]
    assert client_for(staff).patch(URL, {"enabled": False}, format="json").status_code == 200

    assert run_task(uuid) == TaskStatus.FAILURE
    body = api.get(f"/api/v1/tasks/{uuid}/").json()
    assert body["status"] == "FAILURE" and body["started_at"] is None
    assert body["error"]["message"] == (
        "Task type 't.add' was disabled after this task was submitted; it was not started."
    )


def test_only_staff_may_patch(client_for, user):
    refused = client_for(user).patch(URL, {"enabled": False}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "Enabling or disabling task types needs the permission 'tasks_app.change_tasktype'."
    )
    anonymous = client_for(None).patch(URL, {"enabled": False}, format="json")
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["code"] == "not_authenticated"
    assert not TaskType.objects.filter(name="t.add", enabled=False).exists()


def test_patch_of_an_unknown_type_is_not_found(client_for, staff):
    r = client_for(staff).patch("/api/v1/task-types/no.such.type/", {"enabled": False}, "json")
    assert r.status_code == 404
    assert (
        r.json()["detail"]
        == "Task type 'no.such.type' is neither registered nor in the type table."
    )
    assert not TaskType.objects.filter(name="no.such.type").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "enabled"),
        ({"enabled": "maybe"}, "enabled"),
        ({"enabled": None}, "enabled"),
        ({"enabled": False, "scope": "system"}, "scope"),
        ({"enabled": False, "name": "renamed"}, "name"),
        ({"enabled": False, "task_type": "t.other"}, "task_type"),
    ],
)
def test_patch_changes_enabled_only_and_refuses_other_fields(client_for, staff, body, field):
    admin = client_for(staff)
    before = admin.get(URL).json()
    r = admin.patch(URL, body, format="json")
    assert r.status_code == 400 and r.json()["field"] == field
    assert admin.get(URL).json() == before
    assert not TaskType.objects.filter(enabled=False).exists()


def test_a_partial_update_keeps_every_other_field(client_for, staff):
    admin = client_for(staff)
    before = admin.get("/api/v1/task-types/t.abortable/").json()
    after = admin.patch("/api/v1/task-types/t.abortable/", {"enabled": False}, "json").json()
    assert after == {**before, "enabled": False}
    assert after["scope"] == "shared" and after["timeout"] == 120


def test_orphans_are_listed_flagged_and_cannot_be_submitted(client_for, staff, user):
    TaskType.objects.create(name="gone.old_type", description="Was here.", enabled=False)
    api = client_for(user)
    listed = {t["name"]: t for t in api.get("/api/v1/task-types/").json()}
    assert listed["t.add"]["is_orphan"] is False and listed["t.add"]["registered"] is True
    assert listed["t.add"]["enabled"] is True
    orphan = api.get("/api/v1/task-types/gone.old_type/").json()
    assert orphan == listed["gone.old_type"]
    assert orphan["is_orphan"] is True and orphan["registered"] is False
    assert orphan["enabled"] is False and orphan["description"] == "Was here."
    assert orphan["scope"] is None and orphan["parameters_schema"] is None

    refused = api.post("/api/v1/tasks/", {"task_type": "gone.old_type"}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "task_type"
    assert "gone.old_type" in refused.json()["detail"]
    assert not Task.objects.exists()

    # The operator's flag stays apart from orphan status: it can be changed while orphaned.
    on = client_for(staff).patch("/api/v1/task-types/gone.old_type/", {"enabled": True}, "json")
    assert on.status_code == 200 and on.json()["enabled"] is True
    assert on.json()["is_orphan"] is True


def test_submitting_an_unknown_type_names_it(client_for, user):
    r = client_for(user).post("/api/v1/tasks/", {"task_type": "never.was"}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "task_type"
    assert "'never.was'" in r.json()["detail"]
