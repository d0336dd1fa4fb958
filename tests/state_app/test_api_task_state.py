"""REST: /api/v1/tasks/{uuid}/state/ and .../state/{key}/ (docs/state.md)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from state_app.models import TaskState
from tasks_app.models import TaskSubscriber
from tests.state_app.conftest import context_for, entry_url, make_task

pytestmark = pytest.mark.django_db


def test_put_creates_201_then_replaces_200_with_etag(api, user, task):
    client = api(user)
    created = client.put(entry_url(task, "cursor"), {"value": {"page": 1}}, format="json")
    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"'
    body = created.json()
    assert body["key"] == "cursor" and body["value"] == {"page": 1} and body["version"] == 1
    assert body["undecodable"] is False and body["raw"] is None
    replaced = client.put(entry_url(task, "cursor"), {"value": [1, 2]}, format="json")
    assert replaced.status_code == 200 and replaced["ETag"] == '"2"'
    got = client.get(entry_url(task, "cursor"))
    assert got.status_code == 200 and got.json()["value"] == [1, 2] and got["ETag"] == '"2"'


def test_ttl_choices(api, user, task, settings):
    settings.GTF = {**settings.GTF, "TASK_STATE_TTL": 600}
    client = api(user)
    now = timezone.now()
    default = client.put(entry_url(task, "d"), {"value": 1}, format="json").json()
    never = client.put(entry_url(task, "n"), {"value": 1, "ttl": None}, format="json").json()
    day = client.put(entry_url(task, "e"), {"value": 1, "ttl": 86400}, format="json").json()
    assert never["expires_at"] is None
    rows = {r.key: r.expires_at for r in TaskState.objects.all()}
    assert timedelta(minutes=9) < rows["d"] - now < timedelta(minutes=11)
    assert timedelta(hours=23) < rows["e"] - now < timedelta(hours=25)
    assert default["expires_at"] is not None and day["expires_at"] is not None


@pytest.mark.parametrize(
    "body,field,message",
    [
        ({"value": 1, "ttl": 0}, "ttl", "greater than or equal to 1"),
        ({"value": 1, "ttl": "soon"}, "ttl", "valid integer"),
        ({"ttl": 5}, "value", "required"),
        ({"value": 1, "colour": "red"}, None, "Unknown field(s): colour"),
        ([1, 2], None, "Expected a dictionary"),
    ],
)
def test_bad_bodies_are_400_naming_the_problem(api, user, task, body, field, message):
    response = api(user).put(entry_url(task, "k"), body, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field and message in response.json()["detail"]
    assert TaskState.objects.count() == 0


def test_malformed_json_is_400(api, user, task):
    response = api(user).generic(
        "PUT", entry_url(task, "k"), "{nope", content_type="application/json"
    )
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]
    deep = "[" * 50_000 + "]" * 50_000
    response = api(user).generic(
        "PUT", entry_url(task, "k"), f'{{"value": {deep}}}', content_type="application/json"
    )
    assert response.status_code == 400


def test_patch_keeps_expiry_and_needs_an_entry(api, user, task):
    client = api(user)
    assert client.patch(entry_url(task, "k"), {"value": 2}, format="json").status_code == 404
    client.put(entry_url(task, "k"), {"value": 1, "ttl": 3600}, format="json")
    before = TaskState.objects.get().expires_at
    patched = client.patch(entry_url(task, "k"), {"value": 2}, format="json")
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    assert TaskState.objects.get().expires_at == before
    ttl = client.patch(entry_url(task, "k"), {"value": 3, "ttl": 5}, format="json")
    assert ttl.status_code == 400 and "Unknown field(s): ttl" in ttl.json()["detail"]


def test_delete_204_then_404_and_clear(api, user, task):
    client = api(user)
    for key in ("a", "b"):
        client.put(entry_url(task, key), {"value": key}, format="json")
    assert client.delete(entry_url(task, "a")).status_code == 204
    assert client.delete(entry_url(task, "a")).status_code == 404
    assert client.get(entry_url(task, "a")).status_code == 404
    assert client.delete(f"/api/v1/tasks/{task.uuid}/state/").status_code == 204
    assert TaskState.objects.count() == 0


def test_stale_if_match_is_412_and_a_fresh_one_writes(api, user, task):
    client = api(user)
    client.put(entry_url(task, "k"), {"value": 1}, format="json")
    client.put(entry_url(task, "k"), {"value": 2}, format="json")
    stale = client.put(entry_url(task, "k"), {"value": 3}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2 and stale["ETag"] == '"2"'
    assert "Expected version 1, but it is 2" in stale.json()["detail"]
    stale_patch = client.patch(
        entry_url(task, "k"), {"value": 9}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert stale_patch.status_code == 412
    assert client.delete(entry_url(task, "k"), HTTP_IF_MATCH='"1"').status_code == 412
    assert context_for(task).state.get("k") == 2
    fresh = client.put(entry_url(task, "k"), {"value": 3}, format="json", HTTP_IF_MATCH='"2"')
    assert fresh.status_code == 200 and fresh["ETag"] == '"3"'
    assert client.delete(entry_url(task, "k"), HTTP_IF_MATCH='"3"').status_code == 204


def test_if_match_star_and_malformed(api, user, task):
    client = api(user)
    absent = client.put(entry_url(task, "k"), {"value": 1}, format="json", HTTP_IF_MATCH="*")
    assert absent.status_code == 412 and absent.json()["current_version"] is None
    client.put(entry_url(task, "k"), {"value": 1}, format="json")
    star = client.put(entry_url(task, "k"), {"value": 2}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 200
    bad = client.put(entry_url(task, "k"), {"value": 3}, format="json", HTTP_IF_MATCH="v2")
    assert bad.status_code == 400 and bad.json()["field"] == "If-Match"


def test_list_is_paginated_and_shows_only_live_entries(api, user, task):
    ctx = context_for(task)
    for i in range(5):
        ctx.state.set(f"k{i}", i)
    ctx.state.set("old", 0)
    TaskState.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    page = api(user).get(f"/api/v1/tasks/{task.uuid}/state/?page_size=2&page=2").json()
    assert page["count"] == 5
    assert [e["key"] for e in page["results"]] == ["k2", "k3"]
    assert page["next"] and page["previous"]
    assert api(user).get(entry_url(task, "old")).status_code == 404


def test_undecodable_row_in_a_list_and_a_get(api, user, task, caplog):
    ctx = context_for(task)
    ctx.state.set("a", 1)
    ctx.state.set("b", 2)
    TaskState.objects.filter(key="b").update(value="{written by hand")
    response = api(user).get(f"/api/v1/tasks/{task.uuid}/state/")
    assert response.status_code == 200
    a, b = response.json()["results"]
    assert (a["value"], a["undecodable"]) == (1, False)
    assert (b["value"], b["undecodable"], b["raw"]) == (None, True, "{written by hand")
    single = api(user).get(entry_url(task, "b"))
    assert single.status_code == 200 and single.json()["raw"] == "{written by hand"
    assert "Undecodable taskstate entry" in caplog.text


def test_keys_with_odd_but_valid_characters(api, user, task):
    key = "job id: 7 (ü)?#"
    url = entry_url(task, quote(key, safe=""))
    assert api(user).put(url, {"value": 1}, format="json").status_code == 201
    assert context_for(task).state.get(key) == 1


# -- permissions ---------------------------------------------------------------------------
def test_anonymous_is_refused(api, task):
    assert api().get(entry_url(task, "k")).status_code in (401, 403)
    assert api().put(entry_url(task, "k"), {"value": 1}, format="json").status_code in (401, 403)
    assert TaskState.objects.count() == 0


def test_a_task_you_cannot_see_is_404(api, other, task):
    context_for(task).state.set("k", 1)
    client = api(other)
    assert client.get(entry_url(task, "k")).status_code == 404
    assert client.get(f"/api/v1/tasks/{task.uuid}/state/").status_code == 404
    response = client.put(entry_url(task, "k"), {"value": 2}, format="json")
    assert response.status_code == 404 and response.json()["detail"] == "Task not found."
    assert client.get("/api/v1/tasks/not-a-uuid/state/").status_code == 404


def test_subscribers_read_creator_and_staff_write(api, user, other, staff):
    task = make_task(user, scope="shared")
    TaskSubscriber.objects.create(task=task, user=user)
    TaskSubscriber.objects.create(task=task, user=other)
    context_for(task).state.set("k", 1)
    viewer = api(other)
    assert viewer.get(entry_url(task, "k")).json()["value"] == 1
    for response in (
        viewer.put(entry_url(task, "k"), {"value": 2}, format="json"),
        viewer.patch(entry_url(task, "k"), {"value": 2}, format="json"),
        viewer.delete(entry_url(task, "k")),
        viewer.delete(f"/api/v1/tasks/{task.uuid}/state/"),
    ):
        assert response.status_code == 403
        assert "creator and staff" in response.json()["detail"]
    assert api(user).put(entry_url(task, "k"), {"value": 2}, format="json").status_code == 200
    assert api(staff).put(entry_url(task, "k"), {"value": 3}, format="json").status_code == 200
    assert context_for(task).state.get("k") == 3
