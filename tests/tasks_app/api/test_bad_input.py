"""Bad input answers 4xx with a body naming the problem; nothing is written."""

import json
import uuid

import pytest

from tasks_app.models import Task
from tasks_app.services import MAX_KEY_LENGTH

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"


@pytest.fixture
def api(client_for, user, null_executor):
    return client_for(user)


def post(api, body):
    return api.post(URL, body, format="json")


def assert_refused(response, status, field, words):
    assert response.status_code == status, response.content
    body = response.json()
    assert words in body["detail"], body
    if field is not None:
        assert body["field"] == field, body
    assert Task.objects.count() == 0


def test_unknown_type(api):
    r = post(api, {"task_type": "no.such"})
    assert_refused(r, 400, "task_type", "Unknown task type 'no.such'")


def test_missing_parameter_is_named(api):
    r = post(api, {"task_type": "t.add", "parameters": {}})
    assert_refused(r, 400, "parameters.a", "a: missing required parameter")


def test_wrongly_typed_parameter_is_named(api):
    r = post(api, {"task_type": "t.add", "parameters": {"a": "one"}})
    assert_refused(r, 400, "parameters.a", "a: must be integer, got string")


def test_unknown_parameter_is_named(api):
    r = post(api, {"task_type": "t.add", "parameters": {"a": 1, "zzz": 2}})
    assert_refused(r, 400, "parameters.zzz", "zzz: unknown parameter")


def test_parameters_must_be_an_object(api):
    r = post(api, {"task_type": "t.add", "parameters": [1, 2]})
    assert_refused(r, 400, "parameters", "Must be a JSON object")


def test_system_scope_refused_to_non_staff(api):
    r = post(api, {"task_type": "t.shared_noop", "scope": "system"})
    assert_refused(r, 403, None, "Only staff may submit system tasks")


def test_type_permission_required(api):
    r = post(api, {"task_type": "t.secret"})
    assert_refused(r, 403, None, "requires the permission 'auth.view_group'")


def test_type_permission_granted(client_for, null_executor):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    granted = UserFactory(username="granted")
    granted.user_permissions.add(Permission.objects.get(codename="view_group"))
    r = client_for(granted).post(URL, {"task_type": "t.secret"}, format="json")
    assert r.status_code == 201


def test_unknown_scope(api):
    r = post(api, {"task_type": "t.add", "parameters": {"a": 1}, "scope": "galaxy"})
    assert_refused(r, 400, "scope", '"galaxy" is not a valid choice')


@pytest.mark.parametrize("field", ["task_key", "task_name"])
def test_label_too_long(api, field):
    r = post(api, {"task_type": "t.add", "parameters": {"a": 1}, field: "k" * (MAX_KEY_LENGTH + 1)})
    assert_refused(r, 400, field, f"no more than {MAX_KEY_LENGTH} characters")


@pytest.mark.parametrize("field", ["task_key", "task_name"])
def test_label_with_nul(api, field):
    r = post(api, {"task_type": "t.add", "parameters": {"a": 1}, field: "a\x00b"})
    assert_refused(r, 400, field, "Null characters are not allowed")


@pytest.mark.parametrize("field", ["task_key", "task_name"])
def test_label_with_control_character(api, field):
    r = post(api, {"task_type": "t.add", "parameters": {"a": 1}, field: "bell\x07"})
    assert_refused(r, 400, field, "must not contain NUL or other control characters")


def test_parameters_over_64_kib(api):
    r = post(api, {"task_type": "t.typed", "parameters": {"count": 1, "name": "x" * 70_000}})
    assert_refused(r, 400, "parameters", "the limit is 65536")


def test_malformed_json(api):
    r = api.post(URL, '{"task_type": "t.add",', content_type="application/json")
    assert_refused(r, 400, None, "JSON parse error")
    assert r.json()["code"] == "parse_error"


def test_nan_is_refused_naming_the_parameter(api):
    body = '{"task_type": "t.add", "parameters": {"a": NaN}}'
    r = api.post(URL, body, content_type="application/json")
    assert_refused(r, 400, "parameters.a", "NaN")


def test_body_must_be_an_object(api):
    r = api.post(URL, json.dumps(["t.add"]), content_type="application/json")
    assert_refused(r, 400, None, "Expected a dictionary")


def test_timeout_out_of_range(api):
    r = post(api, {"task_type": "t.add", "parameters": {"a": 1}, "timeout": 0})
    assert_refused(r, 400, "timeout", "greater than or equal to 1")


SUFFIXES = ["", "status/", "subscribers/"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_unknown_uuid(api, suffix):
    r = api.get(f"{URL}{uuid.uuid4()}/{suffix}")
    assert r.status_code == 404 and r.json()["detail"] == "Task not found."


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("bad", ["not-a-uuid", "123", "%00", "g" * 32])
def test_invalid_uuid(api, suffix, bad):
    r = api.get(f"{URL}{bad}/{suffix}")
    assert r.status_code == 404 and r.json()["detail"] == "Task not found."


@pytest.mark.parametrize("bad", ["not-a-uuid", "5f0c9a3e-2d4b-4c61-9e8f-0a1b2c3d4e5f"])
def test_abort_unknown_or_invalid_uuid(api, bad):
    r = api.post(f"{URL}{bad}/abort/", {}, format="json")
    assert r.status_code == 404 and r.json()["detail"] == "Task not found."


def test_unknown_filter_value(api):
    r = api.get(URL, {"status": "NOPE"})
    assert r.status_code == 400 and r.json()["field"] == "status"
    assert "NOPE is not one of the available choices" in r.json()["detail"]


def test_bad_date_filter(api):
    r = api.get(URL, {"created_after": "yesterday"})
    assert r.status_code == 400 and r.json()["field"] == "created_after"


def test_date_filter_with_a_far_offset_is_read_in_utc(api):
    # PostgreSQL refuses an offset over 15:59; the filter hands it the time in UTC.
    r = api.get(URL, {"created_after": "0161-06-08T16:05:07+23:56"})
    assert r.status_code == 200


def test_date_filter_out_of_range(api):
    r = api.get(URL, {"updated_after": "0001-01-01T00:00:00+01:00"})
    assert r.status_code == 400 and r.json()["field"] == "updated_after"
    assert "out of range" in r.json()["detail"]


def test_nul_in_filter(api):
    r = api.get(URL, {"task_key": "a\x00"})
    assert r.status_code == 400 and "Null characters are not allowed" in r.json()["detail"]


def test_page_past_the_end(api):
    r = api.get(URL, {"page": 99})
    assert r.status_code == 404 and r.json()["detail"] == "Invalid page."


def test_unknown_task_type_detail(api):
    r = api.get("/api/v1/task-types/no.such/")
    assert r.status_code == 404
    assert r.json()["detail"] == "Task type 'no.such' is neither registered nor in the type table."
