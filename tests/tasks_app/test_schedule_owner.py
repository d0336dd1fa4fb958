"""A schedule acts for its owner: the type's permission and scope rules are checked against
the owner when it is saved and again at every firing; a firing its owner may no longer make
is skipped (``skipped_forbidden``) and shown as such, never submitted as the system."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tasks_app.exceptions import SubmitForbidden
from tasks_app.models import Schedule, ScheduleOutcome, Task
from tasks_app.ops import schedules
from tests.factories import StaffFactory, grant, operator

pytestmark = pytest.mark.django_db
SECRET = {"task_type": "t.secret", "kind": "cron", "cron": "0 3 * * *"}
SKIPPED = ScheduleOutcome.SKIPPED_FORBIDDEN


@pytest.fixture
def owner(null_executor):
    """An operator who may also submit t.secret (auth.view_group)."""
    return grant(operator(username="owner"), "auth.view_group")


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_schedule_fires_as_its_owner(owner):
    schedule = schedules.schedule_create(user=owner, name="s", **SECRET)
    assert (schedule.owner, schedule.owner_name) == (owner, owner.get_username())
    assert schedules.schedule_fire(schedule.pk) == ScheduleOutcome.SUBMITTED
    assert Task.objects.get(task_type="t.secret").created_by == owner


def test_an_owner_who_lost_the_permission_is_skipped_and_the_schedule_says_why(
    owner, admin_client_su
):
    schedule = schedules.schedule_create(user=owner, name="s", **SECRET)
    owner.user_permissions.remove(Permission.objects.get(codename="view_group"))

    assert schedules.schedule_fire(schedule.pk) == SKIPPED
    assert not Task.objects.filter(task_type="t.secret").exists()
    shown = api(operator(username="reader")).get(f"/api/v1/schedules/{schedule.pk}/").json()
    assert shown["last_outcome"] == "skipped_forbidden" and shown["skipped_count"] == 1
    assert f"{owner.get_username()!r} may no longer submit it" in shown["last_message"]
    assert "auth.view_group" in shown["last_message"]
    page = admin_client_su.get(f"/admin/tasks_app/schedule/{schedule.pk}/change/")
    assert "Skipped: the owner may not submit the type" in page.content.decode()
    assert shown["last_message"].replace("'", "&#x27;") in page.content.decode()


@pytest.mark.parametrize("gone", ["deactivated", "deleted"])
def test_an_owner_deactivated_or_deleted_is_skipped(owner, gone):
    schedule = schedules.schedule_create(user=owner, name="s", **SECRET)
    name = owner.get_username()
    if gone == "deleted":
        owner.delete()
    else:
        owner.is_active = False
        owner.save()
    assert schedules.schedule_fire(schedule.pk) == SKIPPED
    schedule.refresh_from_db()
    why = "no longer exists" if gone == "deleted" else "is deactivated"
    assert schedule.last_message == f"The owner {name!r} {why}."
    assert not Task.objects.exists()


def test_a_schedule_of_no_owner_submits_as_the_system(null_executor):
    schedule = schedules.schedule_create(user=None, name="s", **SECRET)
    assert schedule.is_system and schedule.owner_name == ""
    assert schedules.schedule_fire(schedule.pk) == ScheduleOutcome.SUBMITTED
    assert Task.objects.get(task_type="t.secret").created_by is None


def test_staff_refused_the_type_cannot_schedule_it(null_executor):
    staff = operator(username="ops")  # every schedule permission, not auth.view_group
    body = {**SECRET, "name": "s"}
    refused = api(staff).post("/api/v1/schedules/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "submit_forbidden"
    assert "would submit as you" in refused.json()["detail"]
    assert not Schedule.objects.exists()


def test_a_change_makes_the_user_the_owner_and_is_checked_against_them(owner, null_executor):
    schedule = schedules.schedule_create(user=owner, name="s", **SECRET)
    other = operator(username="other")  # may manage schedules, may not submit t.secret
    with pytest.raises(SubmitForbidden):
        schedules.schedule_update(schedule=schedule, changes={"cron": "0 4 * * *"}, user=other)
    schedule.refresh_from_db()
    assert schedule.owner == owner and schedule.cron == "0 3 * * *"
    shared = {"task_type": "t.shared_noop"}
    schedules.schedule_update(schedule=schedule, changes=shared, user=other)
    schedule.refresh_from_db()
    assert (schedule.owner, schedule.owner_name) == (other, other.get_username())


def test_a_change_by_the_system_keeps_the_owner(owner):
    schedule = schedules.schedule_create(user=owner, name="s", **SECRET)
    schedules.schedule_update(schedule=schedule, changes={"cron": "0 4 * * *"}, user=None)
    schedule.refresh_from_db()
    assert schedule.owner == owner and not schedule.is_system


def test_a_system_scope_schedule_needs_a_staff_owner(null_executor):
    staff = operator(username="ops")
    schedule = schedules.schedule_create(
        user=staff, name="s", task_type="t.system_noop", kind="cron", cron="0 3 * * *"
    )
    assert schedule.scope == "system"
    staff.is_staff = False
    staff.save()
    assert schedules.schedule_fire(schedule.pk) == SKIPPED
    assert "Only staff may submit system tasks" in Schedule.objects.get().last_message


def test_bare_staff_cannot_create_schedules(null_executor):
    bare = StaffFactory(username="viewer")
    refused = api(bare).post(
        "/api/v1/schedules/", {**SECRET, "task_type": "t.shared_noop", "name": "s"}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_required"
    assert not Schedule.objects.exists()
