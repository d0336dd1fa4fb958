"""Submit takes the names a task is shown with (type, key, name); the earlier names are
aliases; unknown fields are refused; a join says when its parameters differ."""

import pytest

from tasks_app.models import Task
from tasks_app.services import task_submit

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"


def post(api, body):
    return api.post(URL, body, format="json")


def test_submit_with_the_names_tasks_are_shown_with(client_for, user, null_executor):
    api = client_for(user)
    body = {"type": "t.add", "key": "k1", "name": "Two", "parameters": {"a": 2}}
    created = post(api, body)
    assert created.status_code == 201, created.content
    shown = created.json()
    assert (shown["type"], shown["key"], shown["name"]) == ("t.add", "k1", "Two")
    joined = post(api, body)
    assert joined.status_code == 200 and joined.json()["uuid"] == shown["uuid"]


def test_earlier_names_are_aliases(client_for, user, null_executor):
    body = {"task_type": "t.add", "task_key": "k1", "task_name": "Two", "parameters": {"a": 2}}
    shown = post(client_for(user), body).json()
    assert (shown["type"], shown["key"], shown["name"]) == ("t.add", "k1", "Two")
    task = Task.objects.get()
    assert (task.task_type, task.task_key, task.task_name) == ("t.add", "k1", "Two")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "t.add", "task_type": "t.add", "parameters": {"a": 1}}, "task_type"),
        ({"type": "t.add", "key": "a", "task_key": "b", "parameters": {"a": 1}}, "task_key"),
        ({"type": "t.add", "name": "a", "task_name": "a", "parameters": {"a": 1}}, "task_name"),
    ],
)
def test_a_field_and_its_alias_together_are_refused(client_for, user, body, field):
    r = post(client_for(user), body)
    assert r.status_code == 400 and r.json()["field"] == field
    assert "not both" in r.json()["detail"] and not Task.objects.exists()


def test_unknown_fields_are_refused_not_ignored(client_for, user):
    r = post(client_for(user), {"type": "t.add", "nmae": "x", "parameters": {"a": 1}})
    assert r.status_code == 400 and r.json()["field"] == "nmae"
    assert not Task.objects.exists()


def test_type_is_required(client_for, user):
    r = post(client_for(user), {"parameters": {"a": 1}})
    assert r.status_code == 400 and r.json()["field"] == "type"


@pytest.mark.parametrize("field", ["type", "task_type"])
def test_errors_name_the_field_as_sent(client_for, user, field):
    r = post(client_for(user), {field: "no.such"})
    assert r.status_code == 400 and r.json()["field"] == field


@pytest.mark.parametrize("field", ["key", "task_key"])
def test_service_errors_name_the_field_as_sent(client_for, user, field):
    r = post(client_for(user), {"type": "t.add", field: "bad\x07", "parameters": {"a": 1}})
    assert r.status_code == 400 and r.json()["field"] == field


def test_join_with_different_parameters_says_so(client_for, user, other, null_executor):
    first = post(client_for(user), {"type": "t.shared_noop", "key": "n"})
    assert first.status_code == 201 and first.json()["parameters_differ"] is False
    same = post(client_for(other), {"type": "t.shared_noop", "key": "n"})
    assert same.status_code == 200 and same.json()["parameters_differ"] is False
    body = {"type": "t.add", "key": "k", "parameters": {"a": 1}}
    post(client_for(user), body)
    changed = post(client_for(user), {**body, "parameters": {"a": 2}})
    assert changed.status_code == 200 and changed.json()["parameters_differ"] is True
    assert changed.json()["parameters"] == {"a": 1, "b": 1}  # the task keeps its own


def test_service_reports_differing_parameters(user, null_executor):
    first = task_submit(task_type="t.add", user=user, task_key="k", parameters={"a": 1})
    # Defaults filled in make these the same parameters.
    same = task_submit(task_type="t.add", user=user, task_key="k", parameters={"a": 1, "b": 1})
    other = task_submit(task_type="t.add", user=user, task_key="k", parameters={"a": 3})
    assert first.created and not first.parameters_differ
    assert not same.created and not same.parameters_differ
    assert not other.created and other.parameters_differ


def test_pending_task_of_an_abortable_type_says_so(client_for, user, null_executor):
    api = client_for(user)
    abortable = post(api, {"type": "t.abortable"}).json()
    plain = post(api, {"type": "t.add", "parameters": {"a": 1}}).json()
    assert abortable["status"] == "PENDING" and abortable["is_abortable"] is True
    assert plain["status"] == "PENDING" and plain["is_abortable"] is False
    assert api.get(f"{URL}{abortable['uuid']}/").json()["is_abortable"] is True
    assert api.get("/api/v1/task-types/t.abortable/").json()["is_abortable"] is True
