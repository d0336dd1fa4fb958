"""Deferred submits, the attempts of a task, and reruns through the REST API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.models import Task, TaskStatus
from tasks_app.worker.runner import run_task

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"
S = TaskStatus


def finished(task, status=S.SUCCESS):
    lifecycle.advance(task, S.IN_PROGRESS)
    lifecycle.advance(task, status)
    return task


# -- run_after on submit ------------------------------------------------------------------------
def test_submit_with_run_after_stays_pending_until_then(client_for, user, null_executor):
    later = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    response = client_for(user).post(
        URL,
        {"task_type": "t.add", "parameters": {"a": 1}, "run_after": later.isoformat()},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "PENDING" and body["attempt"] == 0
    assert Task.objects.get(uuid=body["uuid"]).run_after == later


def test_run_after_in_the_past_means_now(client_for, user, null_executor):
    before = timezone.now()
    response = client_for(user).post(
        URL,
        {"task_type": "t.add", "parameters": {"a": 1}, "run_after": "2001-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    assert Task.objects.get(uuid=response.json()["uuid"]).run_after >= before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2030-01-01T10:00:00", "Give the time zone"),
        ("9999-12-31T23:59:59-14:00", "Out of the range"),
        ("tomorrow", "Datetime has wrong format"),
        (12, "Datetime has wrong format"),
        ("2999-01-01T00:00:00Z", "more than 366 days ahead"),
    ],
)
def test_bad_run_after_is_a_400_naming_it(client_for, user, null_executor, value, message):
    response = client_for(user).post(
        URL, {"task_type": "t.add", "parameters": {"a": 1}, "run_after": value}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "run_after" and message in response.json()["detail"]
    assert not Task.objects.exists()


# -- attempts -----------------------------------------------------------------------------------
@pytest.fixture
def retried(user, submit):
    """t.flaky that failed twice and then succeeded: two retried attempts and the current one."""
    task = submit(user, "t.flaky", parameters={"fail_times": 2})
    for _ in range(3):
        run_task(str(task.uuid))
    task.refresh_from_db()
    assert task.status == S.SUCCESS and task.attempt == 3
    return task


def test_attempts_list_the_retried_ones_then_the_current(client_for, staff, retried):
    body = client_for(staff).get(f"{URL}{retried.uuid}/attempts/").json()
    attempts = body["results"]
    assert [(a["number"], a["status"], a["is_current"]) for a in attempts] == [
        (1, "FAILURE", False),
        (2, "FAILURE", False),
        (3, "SUCCESS", True),
    ]
    first = attempts[0]
    assert first["error"]["type"] == "builtins.ConnectionError"
    assert first["error"]["message"] == "attempt 1 could not connect"
    assert "Traceback" in first["error"]["traceback"] and first["worker_id"]
    assert attempts[2]["error"] is None and attempts[2]["duration_seconds"] >= 0


def test_tracebacks_and_workers_are_for_staff_only(
    client_for, user, other, staff, retried, settings
):
    owner = client_for(user).get(f"{URL}{retried.uuid}/attempts/").json()["results"]
    assert owner[0]["error"]["message"] == "attempt 1 could not connect"
    assert owner[0]["error"]["traceback"] is None and owner[0]["worker_id"] is None
    assert client_for(other).get(f"{URL}{retried.uuid}/attempts/").status_code == 404
    settings.GTF = {**settings.GTF, "EXPOSE_TRACEBACKS": False}
    hidden = client_for(staff).get(f"{URL}{retried.uuid}/attempts/").json()["results"]
    assert hidden[0]["error"]["traceback"] is None and hidden[0]["worker_id"]


def test_a_task_waiting_for_its_retry_lists_only_ended_attempts(client_for, user, submit):
    task = submit(user, "t.flaky", parameters={"fail_times": 5})
    run_task(str(task.uuid))
    body = client_for(user).get(f"{URL}{task.uuid}/").json()
    assert body["status"] == "PENDING" and body["attempt"] == 1
    attempts = client_for(user).get(f"{URL}{task.uuid}/attempts/").json()["results"]
    assert [(a["number"], a["status"]) for a in attempts] == [(1, "FAILURE")]


def test_attempts_of_a_task_never_started_are_empty(client_for, user, submit):
    task = submit(user)
    assert client_for(user).get(f"{URL}{task.uuid}/attempts/").json()["results"] == []


def test_task_types_show_retries_and_backoff(client_for, user):
    body = client_for(user).get("/api/v1/task-types/t.flaky/").json()
    assert body["retries"] == 2 and body["max_retries"] == 2
    assert body["retry_on"] == ["builtins.Exception"]
    assert body["backoff"] == {"base": 0.0, "factor": 1.0, "cap": 300.0, "jitter": False}


# -- rerun --------------------------------------------------------------------------------------
def test_the_creator_reruns_a_finished_private_task(client_for, user, submit):
    old = finished(submit(user, task_key="nightly", task_name="Nightly"), S.FAILURE)
    response = client_for(user).post(f"{URL}{old.uuid}/rerun/", format="json")
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == body["links"]["self"]
    assert body["rerun_of"] == str(old.uuid) and body["status"] == "PENDING"
    assert (body["type"], body["key"], body["name"]) == ("t.add", "nightly", "Nightly")
    assert body["parameters"] == old.parameters and body["uuid"] != str(old.uuid)
    listed = client_for(user).get(URL).json()["results"]
    assert {t["uuid"]: t["rerun_of"] for t in listed} == {
        body["uuid"]: str(old.uuid),
        str(old.uuid): None,
    }


def test_a_second_rerun_returns_the_active_one(client_for, user, submit):
    old = finished(submit(user, task_key="k"))
    first = client_for(user).post(f"{URL}{old.uuid}/rerun/", format="json")
    again = client_for(user).post(f"{URL}{old.uuid}/rerun/", format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["uuid"] == first.json()["uuid"]


def test_rerun_of_an_active_task_is_a_409(client_for, user, submit):
    task = submit(user)
    response = client_for(user).post(f"{URL}{task.uuid}/rerun/", format="json")
    assert response.status_code == 409 and response.json()["code"] == "task_not_finished"


def test_staff_rerun_a_private_task_for_its_creator(client_for, user, staff, submit):
    old = finished(submit(user))
    body = client_for(staff).post(f"{URL}{old.uuid}/rerun/", format="json").json()
    rerun = Task.objects.get(uuid=body["uuid"])
    assert rerun.created_by == user and rerun.rerun_of == old
    assert client_for(user).get(f"{URL}{rerun.uuid}/").status_code == 200


def test_who_may_not_rerun(client_for, user, other, submit):
    old = finished(submit(user))
    assert client_for(other).post(f"{URL}{old.uuid}/rerun/", format="json").status_code == 404
    shared = finished(submit(user, "t.shared_noop"))
    response = client_for(user).post(f"{URL}{shared.uuid}/rerun/", format="json")
    assert response.status_code == 403 and response.json()["code"] == "submit_forbidden"
    assert client_for(None).post(f"{URL}{old.uuid}/rerun/", format="json").status_code in (
        401,
        403,
    )


def test_rerun_takes_no_fields(client_for, user, submit):
    old = finished(submit(user))
    response = client_for(user).post(f"{URL}{old.uuid}/rerun/", {"task_key": "x"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "task_key"
    response = client_for(user).post(f"{URL}{old.uuid}/rerun/", [1], format="json")
    assert response.status_code == 400
