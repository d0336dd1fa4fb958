"""The audit trail: each operator action leaves one row naming its actor, written in the
action's transaction, listed at /api/v1/audit/ (staff with the view permission), read only in
the admin, pruned with the tasks."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from state_app.stores import AssetStateStore
from tasks_app import audit, services
from tasks_app.models import (
    OperatorAction,
    Schedule,
    Task,
    TaskStatus,
    TaskSubscriber,
    TaskType,
)
from tasks_app.ops import pruning, schedules
from tasks_app.ops.task_types import task_types_sync
from tests.factories import (
    ScheduleFactory,
    StaffFactory,
    TaskFactory,
    grant,
    json_pk,
    operator,
)

pytestmark = pytest.mark.django_db
AUDIT = "/api/v1/audit/"
SCHEDULE = {"task_type": "t.shared_noop", "kind": "cron", "cron": "0 3 * * *"}


@pytest.fixture
def actor(null_executor):
    task_types_sync()
    return operator(username="ops")


@pytest.fixture
def reader(client_for):
    """The audit list as a staff reader holding only the view permission."""
    viewer = grant(StaffFactory(username="auditor"), "tasks_app.view_operatoraction")
    return client_for(viewer)


def shared_task(user, other):
    task = services.task_submit(task_type="t.shared_noop", user=user, task_key="k").task
    TaskSubscriber.objects.create(task=task, user=other)
    return task


def finished_task(**fields):
    return TaskFactory(
        task_type="t.shared_noop",
        scope="shared",
        status=TaskStatus.SUCCESS,
        parameters={},
        ended_at=timezone.now() - timedelta(days=90),
        **fields,
    )


def do_abort(c, actor, user, other):
    task = shared_task(user, other)
    c.post(f"/api/v1/tasks/{task.uuid}/abort/", {"reason": "stuck"}, format="json")
    return "abort", str(task.uuid)


def do_force_abort(c, actor, user, other):
    task = shared_task(user, other)
    c.post(f"/api/v1/tasks/{task.uuid}/abort/", {"force": True}, format="json")
    return "force_abort", str(task.uuid)


def do_rerun(c, actor, user, other):
    old = finished_task()
    c.post(f"/api/v1/tasks/{old.uuid}/rerun/", {}, format="json")
    return "rerun", str(old.uuid)


def do_disable(c, actor, user, other):
    c.patch("/api/v1/task-types/t.add/", {"enabled": False}, format="json")
    return "type_disable", "t.add"


def do_enable_in_admin(c, actor, user, other):
    web = Client()
    web.force_login(actor)
    row = TaskType.objects.get(name="t.add")
    web.post("/admin/tasks_app/tasktype/", {"action": "enable_types", "_selected_action": [row.pk]})
    return "type_enable", "t.add"


def do_schedule_create(c, actor, user, other):
    body = c.post("/api/v1/schedules/", {**SCHEDULE, "name": "nightly"}, format="json").json()
    return "schedule_create", str(body["id"])


def do_schedule_change(c, actor, user, other):
    schedule = ScheduleFactory()
    c.patch(f"/api/v1/schedules/{schedule.pk}/", {"enabled": False}, format="json")
    return "schedule_change", str(schedule.pk)


def do_schedule_delete(c, actor, user, other):
    schedule = ScheduleFactory()
    c.delete(f"/api/v1/schedules/{schedule.pk}/")
    return "schedule_delete", str(schedule.pk)


def do_prune(c, actor, user, other):
    finished_task()
    call_command("gtf_prune", "--days", "30", "--user", actor.get_username(), stdout=io.StringIO())
    return "prune", ""


def do_delete_in_admin(c, actor, user, other):
    old = finished_task()
    web = Client()
    web.force_login(actor)
    web.post("/admin/tasks_app/task/", {"action": "delete_finished", "_selected_action": [old.pk]})
    return "tasks_delete", ""


def do_delete_one_in_admin(c, actor, user, other):
    old = finished_task()
    web = Client()
    web.force_login(actor)
    web.post(f"/admin/tasks_app/task/{old.pk}/delete/", {"post": "yes"})
    assert not Task.objects.filter(pk=old.pk).exists()
    return "tasks_delete", ""


def do_asset_set(c, actor, user, other):
    c.put("/api/v1/assets/warehouse.orders/state/watermark/", {"value": 3}, format="json")
    return "asset_state_set", "warehouse.orders"


def do_asset_delete(c, actor, user, other):
    c.put("/api/v1/assets/warehouse.orders/state/watermark/", {"value": 3}, format="json")
    OperatorAction.objects.all().delete()  # only the delete is under test
    c.delete("/api/v1/assets/warehouse.orders/state/watermark/")
    return "asset_state_delete", "warehouse.orders"


ACTIONS = [
    do_abort,
    do_force_abort,
    do_rerun,
    do_disable,
    do_enable_in_admin,
    do_schedule_create,
    do_schedule_change,
    do_schedule_delete,
    do_prune,
    do_delete_in_admin,
    do_delete_one_in_admin,
    do_asset_set,
    do_asset_delete,
]


@pytest.mark.parametrize("act", ACTIONS, ids=lambda f: f.__name__[3:])
def test_each_audited_action_is_listed_once_with_its_actor(
    act, actor, user, other, client_for, reader
):
    action, target = act(client_for(actor), actor, user, other)
    rows = reader.get(AUDIT, {"action": action}).json()["results"]
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["actor"], row["actor_name"]) == (json_pk(actor), actor.get_username())
    if target:
        assert row["target_id"] == target


def test_an_abort_records_status_and_reason(actor, user, other, client_for, reader):
    do_abort(client_for(actor), actor, user, other)
    row = reader.get(AUDIT).json()["results"][0]
    assert (row["before"], row["after"]) == ({"status": "PENDING"}, {"status": "ABORTED"})
    assert row["reason"] == "stuck" and row["target_type"] == "task"


def test_a_schedule_change_records_only_what_changed(actor, client_for, reader):
    schedule = ScheduleFactory(owner=actor, owner_name=actor.get_username())
    client_for(actor).patch(
        f"/api/v1/schedules/{schedule.pk}/", {"cron": "0 4 * * *"}, format="json"
    )
    row = reader.get(AUDIT, {"action": "schedule_change"}).json()["results"][0]
    assert row["before"] == {"cron": schedule.cron} and row["after"] == {"cron": "0 4 * * *"}


def test_a_users_own_abort_and_a_tasks_own_asset_write_are_not_operator_actions(user, submit_t):
    task = submit_t(user)
    services.task_abort(task_uuid=task.uuid, user=user)
    AssetStateStore("warehouse.orders", task_uuid=task.uuid).set("k", 1)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ABORTED
    assert OperatorAction.objects.count() == 0


@pytest.fixture
def submit_t(null_executor):
    def make(user):
        return services.task_submit(task_type="t.add", user=user, parameters={"a": 1}).task

    return make


def test_the_row_commits_or_rolls_back_with_its_action(actor):
    with pytest.raises(RuntimeError), transaction.atomic():
        schedules.schedule_create(user=actor, name="gone", **SCHEDULE)
        raise RuntimeError("the caller's transaction fails after the action")
    assert not Schedule.objects.filter(name="gone").exists()
    assert OperatorAction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_row_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=None, action="prune", target_type="task")


def test_filters_by_actor_action_target_and_time(actor, reader, client_for):
    other_staff = operator(username="ops2")
    do_disable(client_for(actor), actor, None, None)
    client_for(other_staff).patch("/api/v1/task-types/t.add/", {"enabled": True}, format="json")
    OperatorAction.objects.filter(action="type_disable").update(
        created_at=timezone.now() - timedelta(days=2)
    )

    def ids(**params):
        return [r["actor_name"] for r in reader.get(AUDIT, params).json()["results"]]

    ops, ops2 = actor.get_username(), other_staff.get_username()
    day_ago = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(actor=actor.pk) == [ops]
    assert ids(actor_name=ops2) == [ops2]
    assert ids(action="type_enable") == [ops2]
    assert ids(target_type="task_type", target_id="t.add") == [ops2, ops]
    assert ids(after=day_ago) == [ops2]
    assert ids(before=day_ago) == [ops]
    assert reader.get(AUDIT, {"actor": "x"}).status_code == 400
    page = reader.get(AUDIT, {"page_size": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_only_staff_with_the_view_permission_read_the_trail(client_for, user, actor, superuser):
    bare = StaffFactory(username="bare")
    assert client_for(None).get(AUDIT).status_code in (401, 403)
    assert client_for(user).get(AUDIT).status_code == 403
    assert client_for(bare).get(AUDIT).status_code == 403
    assert client_for(actor).get(AUDIT).status_code == 200
    assert client_for(superuser).get(AUDIT).status_code == 200


def test_the_trail_is_in_the_openapi_schema(client_for, user):
    paths = client_for(user).get("/api/schema/?format=json").json()["paths"]
    assert "get" in paths["/api/v1/audit/"]


def test_the_admin_shows_the_trail_read_only(admin_client_su, actor, client_for):
    do_disable(client_for(actor), actor, None, None)
    row = OperatorAction.objects.get()
    base = "/admin/tasks_app/operatoraction/"
    assert "type_disable" in admin_client_su.get(base).content.decode()
    assert admin_client_su.get(f"{base}add/").status_code == 403
    admin_client_su.post(f"{base}{row.pk}/change/", {"reason": "edited"})
    assert OperatorAction.objects.get().reason == ""
    assert admin_client_su.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OperatorAction.objects.count() == 1


def test_rows_are_pruned_with_the_tasks_retention(actor, client_for):
    do_disable(client_for(actor), actor, None, None)
    do_schedule_create(client_for(actor), actor, None, None)
    old = OperatorAction.objects.get(action="type_disable")
    OperatorAction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    pruning.prune(older_than_days=30)
    assert list(OperatorAction.objects.values_list("action", flat=True)) == ["schedule_create"]


def test_the_actor_name_outlives_the_account(actor, client_for, reader):
    do_disable(client_for(actor), actor, None, None)
    name = actor.get_username()
    actor.delete()
    row = reader.get(AUDIT).json()["results"][0]
    assert (row["actor"], row["actor_name"]) == (None, name)
