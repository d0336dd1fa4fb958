"""/api/v1/schedules/: staff CRUD through the schedule services, validation naming the field,
firings (joined, skipped) visible in the representation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tasks_app.models import Schedule
from tasks_app.ops import schedules
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/schedules/"
INTERVAL = {"name": "every-minute", "task_type": "t.shared_noop", "kind": "interval"}


@pytest.fixture
def admin(client_for, staff):
    return client_for(staff)


def create(admin, **fields):
    r = admin.post(URL, {**INTERVAL, "interval_seconds": 60, **fields}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def test_create_and_retrieve(admin, staff):
    body = create(admin, parameters={}, task_key="nightly")
    row = Schedule.objects.get(pk=body["id"])
    assert row.created_by == staff and row.interval_seconds == 60
    assert body["kind"] == "interval" and body["scope"] == "shared" and body["enabled"] is True
    assert body["task_key"] == "nightly" and body["cron"] == "" and body["is_orphan"] is False
    assert body["next_run_at"] is not None and body["last_run_at"] is None
    counts = ("submitted_count", "joined_count", "skipped_count", "failed_count")
    assert [body[c] for c in counts] == [0, 0, 0, 0]
    assert admin.get(f"{URL}{body['id']}/").json() == body


def test_cron_schedule_gets_its_next_run(admin):
    body = create(admin, name="quarter", kind="cron", cron="*/15  * * * *", interval_seconds=None)
    assert body["cron"] == "*/15 * * * *"
    next_run = datetime.fromisoformat(body["next_run_at"].replace("Z", "+00:00"))
    assert next_run > timezone.now() and next_run.minute % 15 == 0


def test_once_schedule_and_system_scope(admin):
    when = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    body = create(
        admin,
        name="later",
        kind="once",
        interval_seconds=None,
        run_at=when.isoformat(),
        task_type="t.system_noop",
    )
    assert body["scope"] == "system"
    assert datetime.fromisoformat(body["next_run_at"].replace("Z", "+00:00")) == when


def test_list_is_paginated_and_filtered(admin):
    create(admin, name="a")
    create(admin, name="b", enabled=False)
    create(admin, name="c", task_type="t.system_noop")
    page = admin.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and [s["name"] for s in page["results"]] == ["a", "b"]
    assert page["next"] is not None
    assert [s["name"] for s in admin.get(URL, {"enabled": "false"}).json()["results"]] == ["b"]
    by_type = admin.get(URL, {"task_type": "t.shared_noop", "enabled": "true"}).json()
    assert [s["name"] for s in by_type["results"]] == ["a"]


def test_patch_changes_only_the_given_fields(admin):
    body = create(admin, task_key="k1", parameters={})
    changed = admin.patch(f"{URL}{body['id']}/", {"enabled": False}, format="json")
    assert changed.status_code == 200
    assert changed.json() == {
        **body,
        "enabled": False,
        "updated_at": changed.json()["updated_at"],
        "next_run_at": changed.json()["next_run_at"],
    }
    to_cron = admin.patch(f"{URL}{body['id']}/", {"kind": "cron", "cron": "0 3 * * *"}, "json")
    assert to_cron.status_code == 200
    assert to_cron.json()["interval_seconds"] is None and to_cron.json()["task_key"] == "k1"
    assert Schedule.objects.get(pk=body["id"]).task_type == "t.shared_noop"


def test_put_replaces_the_schedule(admin):
    body = create(admin, task_key="k1", enabled=False)
    replaced = admin.put(
        f"{URL}{body['id']}/",
        {"name": "renamed", "task_type": "t.system_noop", "kind": "cron", "cron": "5 * * * *"},
        format="json",
    )
    assert replaced.status_code == 200
    new = replaced.json()
    assert (new["name"], new["task_type"], new["scope"]) == ("renamed", "t.system_noop", "system")
    # Fields the body left out get their defaults, not the old values.
    assert new["task_key"] == "" and new["enabled"] is True and new["interval_seconds"] is None
    missing = admin.put(f"{URL}{body['id']}/", {"name": "x"}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "task_type"


def test_delete(admin):
    body = create(admin)
    assert admin.delete(f"{URL}{body['id']}/").status_code == 204
    assert not Schedule.objects.exists()
    gone = admin.delete(f"{URL}{body['id']}/")
    assert gone.status_code == 404 and gone.json()["detail"] == "Schedule not found."


@pytest.mark.parametrize("ref", ["999999", "abc", "1.5", "99999999999999999999"])
def test_unknown_or_malformed_id_is_not_found(admin, ref):
    for method in ("get", "patch", "put", "delete"):
        r = getattr(admin, method)(f"{URL}{ref}/", {}, format="json")
        assert r.status_code == 404 and r.json()["code"] == "schedule_not_found", method


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"kind": "cron", "interval_seconds": None, "cron": "61 * * * *"}, "cron", "not a valid"),
        ({"kind": "cron", "interval_seconds": None, "cron": "* * *"}, "cron", "3 fields"),
        ({"kind": "cron", "interval_seconds": None}, "cron", "non-empty cron"),
        ({"interval_seconds": 5}, "interval_seconds", "between 30"),
        ({"interval_seconds": None}, "interval_seconds", "needs interval_seconds"),
        ({"interval_seconds": "often"}, "interval_seconds", "valid integer"),
        ({"task_type": "no.such.type"}, "task_type", "'no.such.type'"),
        ({"scope": "private"}, "scope", "shared or system"),
        ({"kind": "hourly"}, "kind", "not a valid choice"),
        ({"kind": "once", "interval_seconds": None}, "run_at", "needs run_at"),
        ({"run_at": "tomorrow"}, "run_at", "Datetime has wrong format"),
        ({"cron": "* * * * *"}, "cron", "does not apply"),
        ({"parameters": {"nope": 1}}, "parameters.nope", "unknown"),
        ({"parameters": [1]}, "parameters", "JSON object"),
        ({"name": ""}, "name", "blank"),
        ({"task_key": "bad\x07key"}, "task_key", "control characters"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin, fields, field, says):
    body = {**INTERVAL, "interval_seconds": 60, **fields}
    r = admin.post(URL, body, format="json")
    assert r.status_code == 400, r.json()
    assert r.json()["field"] == field and says in r.json()["detail"]
    assert not Schedule.objects.exists()


def test_bad_patch_leaves_the_row_as_it_was(admin):
    body = create(admin)
    r = admin.patch(f"{URL}{body['id']}/", {"interval_seconds": 1}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "interval_seconds"
    assert admin.get(f"{URL}{body['id']}/").json() == body


def test_duplicate_name_is_refused(admin):
    create(admin)
    r = admin.post(URL, {**INTERVAL, "interval_seconds": 90}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "name"
    assert "already exists" in r.json()["detail"]
    assert Schedule.objects.count() == 1


def test_non_staff_and_anonymous_are_refused(client_for, user, admin):
    body = create(admin)
    one = f"{URL}{body['id']}/"
    for client, status, code in (
        (client_for(user), (403,), "permission_required"),
        (client_for(None), (401, 403), "not_authenticated"),
    ):
        calls = [
            client.get(URL),
            client.post(URL, {**INTERVAL, "name": "x", "interval_seconds": 60}, format="json"),
            client.get(one),
            client.patch(one, {"enabled": False}, format="json"),
            client.put(one, {**INTERVAL, "interval_seconds": 60}, format="json"),
            client.delete(one),
        ]
        for r in calls:
            assert r.status_code in status and r.json()["code"] == code
    assert Schedule.objects.get().enabled is True and Schedule.objects.count() == 1


def test_inactive_staff_is_refused(client_for):
    r = client_for(StaffFactory(username="retired", is_active=False)).get(URL)
    assert r.status_code in (401, 403)


def test_firings_joined_and_skipped_are_visible(admin, null_executor):
    body = create(admin)
    one = f"{URL}{body['id']}/"
    assert schedules.schedule_fire(body["id"]) == "submitted"
    assert schedules.schedule_fire(body["id"]) == "joined"  # the first run is still pending
    seen = admin.get(one).json()
    assert (seen["submitted_count"], seen["joined_count"]) == (1, 1)
    assert seen["last_outcome"] == "joined" and seen["last_task_uuid"] is not None
    assert "still active" in seen["last_message"]
    assert seen["last_run_at"] is not None and seen["next_run_at"] is not None

    Schedule.objects.filter(pk=body["id"]).update(task_type="gone.type")
    orphan = admin.get(one).json()
    assert orphan["is_orphan"] is True
    assert schedules.schedule_fire(body["id"]) == "skipped_orphan"
    skipped = admin.get(one).json()
    assert skipped["skipped_count"] == 1 and skipped["last_outcome"] == "skipped_orphan"
    # An orphan's schedule can still be disabled without re-registering the type.
    off = admin.patch(one, {"enabled": False}, format="json")
    assert off.status_code == 200 and off.json()["enabled"] is False


def test_run_at_is_stored_in_utc(admin):
    body = create(admin, run_at="2099-01-01T12:00:00+02:00")
    assert body["run_at"] in ("2099-01-01T10:00:00Z", "2099-01-01T10:00:00+00:00")
    assert Schedule.objects.get().run_at == datetime(2099, 1, 1, 10, tzinfo=UTC)
