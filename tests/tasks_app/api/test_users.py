"""User ids keep the type of the user model's primary key; names come from get_username().

The whole suite also runs with a UUID-keyed, email-named user model
(``tests.settings_custom_user``); these tests pin each key type at the layer that owns it.
"""

import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import models

from tasks_app.api import users
from tasks_app.api.users import UserIdFormField, UserRefSerializer
from tests.factories import json_pk

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"
KEY = uuid.UUID("6f1c2a7e-0d3b-4c59-9a51-2f0e8f3b7d10")


def fake_user(pk):
    return SimpleNamespace(pk=pk, get_username=lambda: "someone")


@pytest.mark.parametrize(
    ("pk", "shown"),
    [(42, 42), (KEY, str(KEY)), ("ops-7", "ops-7"), ("123", "123")],
    ids=["int", "uuid", "text", "digits-as-text"],
)
def test_user_ref_renders_the_key_in_its_own_type(pk, shown):
    data = UserRefSerializer(fake_user(pk)).data
    assert data == {"id": shown, "username": "someone"}
    assert type(data["id"]) is type(shown)


@pytest.mark.parametrize(
    ("field", "schema"),
    [
        (models.BigAutoField(primary_key=True), {"type": "integer"}),
        (models.UUIDField(primary_key=True), {"type": "string", "format": "uuid"}),
        (models.CharField(primary_key=True, max_length=40), {"type": "string"}),
    ],
    ids=["int", "uuid", "text"],
)
def test_user_id_schema_follows_the_key_type(field, schema):
    with mock.patch.object(users, "user_pk_field", return_value=field):
        assert users.user_id_schema() == schema


@pytest.mark.parametrize(
    ("field", "good", "parsed", "bad"),
    [
        (models.BigAutoField(primary_key=True), "7", 7, ["x", "1" * 30, "1.5"]),
        (models.UUIDField(primary_key=True), str(KEY), KEY, ["7", "not-a-uuid"]),
        (models.CharField(primary_key=True, max_length=5), "ops-7", "ops-7", ["x" * 6]),
    ],
    ids=["int", "uuid", "text"],
)
def test_user_id_filter_parses_the_key_type(field, good, parsed, bad):
    form_field = UserIdFormField(required=False)
    with mock.patch.object(users, "user_pk_field", return_value=field):
        assert form_field.clean(good) == parsed
        for value in bad:
            with pytest.raises(Exception, match="Not a valid user id"):
                form_field.clean(value)


def test_task_and_subscribers_show_the_user_id_as_the_schema_says(client_for, user, other, submit):
    # The schema-checked client fails if the id's JSON type differs from the schema's.
    task = submit(user, "t.shared_noop", task_key="k")
    submit(other, "t.shared_noop", task_key="k")
    api = client_for(user)
    assert api.get(f"{URL}{task.uuid}/").json()["created_by"]["id"] == json_pk(user)
    rows = api.get(f"{URL}{task.uuid}/subscribers/").json()["results"]
    assert [r["user"]["id"] for r in rows] == [json_pk(user), json_pk(other)]


def test_rest_submit_answers_with_the_task(client_for, user, null_executor):
    r = client_for(user).post(URL, {"task_type": "t.add", "parameters": {"a": 1}}, format="json")
    assert r.status_code == 201 and r.json()["created_by"]["id"] == json_pk(user)


def test_created_by_filter(client_for, staff, user, other, submit):
    mine, theirs = submit(user, "t.add"), submit(other, "t.add")
    api = client_for(staff)
    rows = api.get(URL, {"created_by": str(user.pk)}).json()["results"]
    assert [r["uuid"] for r in rows] == [str(mine.uuid)]
    rows = api.get(URL, {"created_by": str(other.pk)}).json()["results"]
    assert [r["uuid"] for r in rows] == [str(theirs.uuid)]


@pytest.mark.parametrize("value", ["nobody", "1" * 40, "6f1c2a7e-zzzz"])
def test_created_by_filter_refuses_what_is_not_a_user_id(client_for, staff, value):
    r = client_for(staff).get(URL, {"created_by": value})
    assert r.status_code == 400 and r.json()["field"] == "created_by"
