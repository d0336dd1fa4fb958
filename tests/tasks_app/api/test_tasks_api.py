"""Submit, read, poll, abort and list subscribers through the REST API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tests.factories import json_pk

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"
S = TaskStatus


def test_submit_creates_then_joins(client_for, user, null_executor):
    api = client_for(user)
    body = {"task_type": "t.add", "task_key": "k1", "parameters": {"a": 2}, "task_name": "Two"}
    first = api.post(URL, body, format="json")
    assert first.status_code == 201
    created = first.json()
    assert first["Location"] == created["links"]["self"]
    assert first["Location"] == f"http://testserver{URL}{created['uuid']}/"
    assert created["parameters"] == {"a": 2, "b": 1} and created["name"] == "Two"
    again = api.post(URL, body, format="json")
    assert again.status_code == 200 and "Location" not in again
    assert again.json()["uuid"] == created["uuid"]
    assert Task.objects.count() == 1


def test_joining_a_shared_task_subscribes_the_caller(client_for, user, other, null_executor):
    body = {"task_type": "t.shared_noop", "task_key": "nightly"}
    assert client_for(user).post(URL, body, format="json").status_code == 201
    joined = client_for(other).post(URL, body, format="json")
    assert joined.status_code == 200
    assert joined.json()["subscriber_count"] == 2 and joined.json()["is_subscribed"] is True


def test_representation(client_for, user, other, null_executor):
    api = client_for(user)
    uuid = api.post(URL, {"task_type": "t.shared_noop"}, format="json").json()["uuid"]
    task = Task.objects.get(uuid=uuid)
    TaskSubscriber.objects.create(task=task, user=other)
    started = timezone.now() - timedelta(seconds=30)
    lifecycle.transition(task.pk, current=S.PENDING, target=S.IN_PROGRESS, started_at=started)
    Task.objects.filter(pk=task.pk).update(
        progress_current=3, progress_total=4, progress_percent=75.0, payload={"rows": 3}
    )
    body = api.get(f"{URL}{uuid}/").json()
    assert body["type"] == "t.shared_noop" and body["scope"] == "shared"
    assert body["status"] == "IN_PROGRESS" and body["payload"] == {"rows": 3}
    assert body["progress"] == {"current": 3.0, "total": 4.0, "percent": 75.0}
    assert body["created_by"] == {"id": json_pk(user), "username": user.get_username()}
    assert body["subscriber_count"] == 2 and body["is_subscribed"] is True
    assert body["duration_seconds"] >= 30 and body["ended_at"] is None
    assert body["error"] is None and body["is_abortable"] is False
    assert set(body["links"]) == {"self", "status", "abort", "subscribers", "attempts", "rerun"}
    assert body["links"]["status"].endswith(f"{URL}{uuid}/status/")


@pytest.fixture
def failed_task(user, django_capture_on_commit_callbacks):
    from tasks_app.services import task_submit

    with django_capture_on_commit_callbacks(execute=True):
        task = task_submit(task_type="t.fails", user=user, parameters={"source": "dw"}).task
    task.refresh_from_db()
    assert task.status == S.FAILURE
    return task


def test_error_and_traceback_for_staff(client_for, staff, failed_task):
    error = client_for(staff).get(f"{URL}{failed_task.uuid}/").json()["error"]
    assert error["message"] == "cannot reach dw" and error["type"] == "builtins.ConnectionError"
    assert "_helper_that_raises" in error["traceback"]


def test_creator_sees_error_but_not_traceback(client_for, user, failed_task):
    error = client_for(user).get(f"{URL}{failed_task.uuid}/").json()["error"]
    assert error == {
        "message": "cannot reach dw",
        "type": "builtins.ConnectionError",
        "traceback": None,
    }


def test_expose_tracebacks_off_hides_them_from_staff(client_for, staff, failed_task, settings):
    settings.GTF = {**settings.GTF, "EXPOSE_TRACEBACKS": False}
    error = client_for(staff).get(f"{URL}{failed_task.uuid}/").json()["error"]
    assert error["traceback"] is None and error["message"] == "cannot reach dw"


def test_status_etag_and_304(client_for, user, submit):
    task = submit(user)
    api = client_for(user)
    first = api.get(f"{URL}{task.uuid}/status/")
    assert first.json() == {
        "uuid": str(task.uuid),
        "status": "PENDING",
        "progress": {"current": None, "total": None, "percent": None},
    }
    etag = first["ETag"]
    unchanged = api.get(f"{URL}{task.uuid}/status/", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag and not unchanged.content
    # Progress writes do not touch updated_at; the ETag must still change.
    Task.objects.filter(pk=task.pk).update(progress_current=1, progress_percent=10.0)
    moved = api.get(f"{URL}{task.uuid}/status/", HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and moved["ETag"] != etag
    assert moved.json()["progress"]["percent"] == 10.0
    lifecycle.transition(task.pk, current=S.PENDING, target=S.ABORTED)
    done = api.get(f"{URL}{task.uuid}/status/", HTTP_IF_NONE_MATCH=moved["ETag"])
    assert done.status_code == 200 and done.json()["status"] == "ABORTED"


def test_status_is_one_cheap_query(client_for, user, submit, django_assert_num_queries):
    task = submit(user)
    api = client_for(user)
    with django_assert_num_queries(1):
        assert api.get(f"{URL}{task.uuid}/status/").status_code == 200


def test_last_subscriber_aborts_a_shared_task(client_for, user, submit):
    task = submit(user, "t.shared_noop")
    r = client_for(user).post(f"{URL}{task.uuid}/abort/", {}, format="json")
    assert r.status_code == 200 and r.json()["action"] == "aborted"
    assert r.json()["task"]["status"] == "ABORTED"


def test_force_abort_by_staff_overrides_subscribers(client_for, user, other, staff, submit):
    task = submit(user, "t.shared_noop", task_key="s")
    submit(other, "t.shared_noop", task_key="s")
    r = client_for(staff).post(f"{URL}{task.uuid}/abort/", {"force": True}, format="json")
    assert r.json()["action"] == "aborted"
    assert Task.objects.get(pk=task.pk).status == S.ABORTED


def test_force_abort_refused_to_non_staff(client_for, user, submit):
    task = submit(user)
    r = client_for(user).post(f"{URL}{task.uuid}/abort/", {"force": True}, format="json")
    assert r.status_code == 403 and r.json()["detail"] == (
        "Only staff with the permission 'tasks_app.force_abort_task' may force an abort."
    )
    assert Task.objects.get(pk=task.pk).status == S.PENDING


def test_abort_running_task_without_handler_is_409(client_for, user, submit):
    task = submit(user)
    lifecycle.transition(task.pk, current=S.PENDING, target=S.IN_PROGRESS)
    r = client_for(user).post(f"{URL}{task.uuid}/abort/", {}, format="json")
    assert r.status_code == 409 and "registered no abort handler" in r.json()["detail"]


def test_abort_running_abortable_task_marks_it_aborting(client_for, user, submit):
    task = submit(user)
    lifecycle.transition(task.pk, current=S.PENDING, target=S.IN_PROGRESS, is_abortable=True)
    r = client_for(user).post(f"{URL}{task.uuid}/abort/", {}, format="json")
    assert r.json()["action"] == "aborted" and r.json()["task"]["status"] == "ABORTING"


def test_abort_finished_task_is_409(client_for, user, submit):
    task = submit(user)
    lifecycle.transition(task.pk, current=S.PENDING, target=S.ABORTED)
    r = client_for(user).post(f"{URL}{task.uuid}/abort/", {}, format="json")
    assert r.status_code == 409 and r.json()["detail"] == "The task has already finished."


def test_subscribers_list(client_for, user, other, submit):  # named by get_username()
    task = submit(user, "t.shared_noop", task_key="s")
    submit(other, "t.shared_noop", task_key="s")
    rows = client_for(other).get(f"{URL}{task.uuid}/subscribers/").json()["results"]
    assert [r["user"]["username"] for r in rows] == [user.get_username(), other.get_username()]
    assert all(r["subscribed_at"] for r in rows)


def test_task_types_list_and_detail(client_for, user):
    api = client_for(user)
    names = [t["name"] for t in api.get("/api/v1/task-types/").json()]
    assert "t.add" in names and names == sorted(names)
    body = api.get("/api/v1/task-types/t.add/").json()
    assert body["scope"] == "private" and body["timeout"] == 3600
    assert body["is_abortable"] is False and body["permission"] is None
    assert body["parameters_schema"] == {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 1}},
        "required": ["a"],
        "additionalProperties": False,
    }
    abortable = api.get("/api/v1/task-types/t.abortable/").json()
    assert abortable["is_abortable"] is True and abortable["timeout"] == 120
    assert abortable["scope"] == "shared"
    assert api.get("/api/v1/task-types/t.secret/").json()["permission"] == "auth.view_group"


def test_task_types_need_a_user(client_for):
    r = client_for(None).get("/api/v1/task-types/")
    assert r.status_code in (401, 403)
