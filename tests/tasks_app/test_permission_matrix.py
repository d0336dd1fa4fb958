"""One rule for every face: each operator action x each face that offers it x each role.

Every cell does the action for real through its face (REST API, task center pages, admin,
management command, service call, schedule fire), then reads what happened in the database:
``done`` (the effect is there), ``left`` (the caller only unsubscribed), ``hidden`` (404: the
caller may not see the task) or ``refused`` (401/403, the admin's login page, a command
error). "staff_perm" holds exactly the permission the action needs, nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from state_app import services as state_services
from state_app.models import AssetState
from tasks_app import exceptions, services
from tasks_app.models import OperatorAction, Schedule, Task, TaskStatus, TaskSubscriber, TaskType
from tasks_app.ops import pruning, schedules
from tasks_app.ops import task_types as types
from tasks_app.ops.task_types import task_types_sync
from tests.factories import (
    ScheduleFactory,
    StaffFactory,
    SuperuserFactory,
    TaskFactory,
    UserFactory,
    grant,
)
from tests.tasks_app.admin.test_operations_admin import form as schedule_form

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "user", "subscriber", "staff_noperm", "staff_perm", "superuser", "system"]

# The permission "staff_perm" holds for each action: the one the admin asks for the same change.
NEEDS = {
    "type_disable": "tasks_app.change_tasktype",
    "schedule_create": "tasks_app.add_schedule",
    "schedule_change": "tasks_app.change_schedule",
    "schedule_delete": "tasks_app.delete_schedule",
    # Schedules t.secret: add_schedule, but not the type's own permission (auth.view_group).
    "schedule_secret": "tasks_app.add_schedule",
    "abort": "tasks_app.force_abort_task",
    "force_abort": "tasks_app.force_abort_task",
    "rerun": "tasks_app.rerun_task",
    "prune": "tasks_app.delete_task",
    "delete_finished": "tasks_app.delete_task",
    "audit_view": "tasks_app.view_operatoraction",
    "asset_write": "state_app.change_assetstate",
}

# Which faces offer which action (a face that has no way to do it is not a cell).
FACES = {
    "type_disable": ["api", "page", "admin", "command", "service"],
    "schedule_create": ["api", "admin", "service"],
    "schedule_change": ["api", "admin", "service"],
    "schedule_delete": ["api", "admin", "service"],
    "schedule_secret": ["api", "admin", "service", "fire"],
    "abort": ["api", "page", "service"],
    "force_abort": ["api", "page", "admin", "command", "service"],
    "rerun": ["api", "admin", "command", "service"],
    "prune": ["command", "service"],
    "delete_finished": ["admin", "service"],
    "audit_view": ["api", "admin"],
    "asset_write": ["api", "admin", "service"],
}

OPERATOR = {"anonymous": "refused", "user": "refused", "subscriber": "refused"}
OPERATOR |= {"staff_noperm": "refused", "staff_perm": "done", "superuser": "done"}
OPERATOR |= {"system": "done"}
# On the shared task of "alice" (+ "subscriber"): others do not see it at all.
ON_TASK = {**OPERATOR, "user": "hidden"}
EXPECTED: dict[str, dict[str, str]] = {
    "type_disable": OPERATOR,
    "schedule_create": OPERATOR,
    "schedule_change": OPERATOR,
    "schedule_delete": OPERATOR,
    # The type's permission is checked against whoever the schedule acts for.
    "schedule_secret": {**OPERATOR, "staff_perm": "refused"},
    "abort": {**ON_TASK, "subscriber": "left"},
    "force_abort": ON_TASK,
    "rerun": ON_TASK,
    "prune": OPERATOR,
    "delete_finished": OPERATOR,
    "audit_view": OPERATOR,
    "asset_write": OPERATOR,
}
# Faces that cannot tell "hidden" from "refused": the admin sends non-staff to its login
# page, a command turns every refusal into a CommandError.
BLUNT_FACES = {"admin", "command"}
# Who cannot use a face at all: commands name a user (or none: the system); a schedule's
# owner is a user; HTTP faces have no "system".
NOT_A_CALLER = {
    "command": {"anonymous"},
    "fire": {"anonymous"},
    "api": {"system"},
    "page": {"system"},
    "admin": {"system"},
}


# Asset state has no system caller through its service: code writes with AssetStateStore.
NOT_A_CELL = {("asset_write", "service", "system")}


def cells():
    for action, faces in FACES.items():
        for face in faces:
            for role in ROLES:
                if role in NOT_A_CALLER.get(face, set()) or (action, face, role) in NOT_A_CELL:
                    continue
                yield pytest.param(action, face, role, id=f"{action}-{face}-{role}")


@dataclass
class World:
    users: dict[str, Any]
    task: Task  # shared, created by alice, "subscriber" subscribed; PENDING
    finished: Task  # the same people, SUCCESS (rerun) ; old (prune, delete)
    schedule: Schedule  # an existing schedule (change, delete)

    def user(self, role: str) -> Any:
        return self.users[role]


@pytest.fixture
def world(null_executor, settings, action) -> World:
    task_types_sync()
    settings.GTF = {**settings.GTF, "RETENTION_DAYS": 30}
    alice = UserFactory(username="alice")
    subscriber = UserFactory(username="bob")
    staff_perm = grant(StaffFactory(username="perm"), NEEDS[action])
    users = {
        "anonymous": AnonymousUser(),
        "user": UserFactory(username="carol"),
        "subscriber": subscriber,
        "staff_noperm": StaffFactory(username="noperm"),
        "staff_perm": staff_perm,
        "superuser": SuperuserFactory(username="root"),
        "system": None,
    }
    task = services.task_submit(
        task_type="t.shared_noop", user=alice, scope="shared", task_key="matrix"
    ).task
    TaskSubscriber.objects.create(task=task, user=subscriber)
    finished = TaskFactory(
        task_type="t.shared_noop", scope="shared", status=TaskStatus.SUCCESS, parameters={}
    )
    Task.objects.filter(pk=finished.pk).update(
        created_by=alice, ended_at=timezone.now() - timedelta(days=60)
    )
    finished.refresh_from_db()
    TaskSubscriber.objects.create(task=finished, user=alice)
    TaskSubscriber.objects.create(task=finished, user=subscriber)
    schedule = ScheduleFactory(name="m-existing")
    return World(users=users, task=task, finished=finished, schedule=schedule)


# -- how each face does each action -------------------------------------------------------
def api_client(user) -> APIClient:
    client = APIClient()
    if user is not None and user.is_authenticated:
        client.force_authenticate(user)
    return client


def web_client(user) -> Client:
    client = Client()
    if user is not None and user.is_authenticated:
        client.force_login(user)
    return client


SCHEDULE_BODY = {"task_type": "t.shared_noop", "kind": "cron", "cron": "0 3 * * *"}


def admin_schedule_form(**values) -> dict[str, Any]:
    return schedule_form(**{"name": "m-new", **values})


def via_api(action: str, w: World, user) -> Any:
    c = api_client(user)
    task, old, one = w.task, w.finished, f"/api/v1/schedules/{w.schedule.pk}/"
    if action == "type_disable":
        return c.patch("/api/v1/task-types/t.add/", {"enabled": False}, format="json")
    if action == "schedule_create":
        return c.post("/api/v1/schedules/", {**SCHEDULE_BODY, "name": "m-new"}, format="json")
    if action == "schedule_secret":
        body = {**SCHEDULE_BODY, "name": "m-secret", "task_type": "t.secret"}
        return c.post("/api/v1/schedules/", body, format="json")
    if action == "schedule_change":
        return c.patch(one, {"enabled": False}, format="json")
    if action == "schedule_delete":
        return c.delete(one)
    if action in ("abort", "force_abort"):
        body = {"force": action == "force_abort"}
        return c.post(f"/api/v1/tasks/{task.uuid}/abort/", body, format="json")
    if action == "rerun":
        return c.post(f"/api/v1/tasks/{old.uuid}/rerun/", {}, format="json")
    if action == "audit_view":
        return c.get("/api/v1/audit/")
    if action == "asset_write":
        return c.put("/api/v1/assets/orders/state/k/", {"value": 1}, format="json")
    raise AssertionError(action)


def via_page(action: str, w: World, user) -> Any:
    c = web_client(user)
    if action == "type_disable":
        return c.post("/tasks/types/t.add/enabled/", {"enabled": "0"})
    if action in ("abort", "force_abort"):
        force = "1" if action == "force_abort" else "0"
        return c.post(f"/tasks/{w.task.uuid}/abort/", {"force": force})
    raise AssertionError(action)


def via_admin(action: str, w: World, user) -> Any:
    c = web_client(user)
    base = "/admin/tasks_app/"
    if action == "type_disable":
        row = TaskType.objects.get(name="t.add")
        return c.post(f"{base}tasktype/", {"action": "disable_types", "_selected_action": [row.pk]})
    if action == "schedule_create":
        return c.post(f"{base}schedule/add/", admin_schedule_form())
    if action == "schedule_secret":
        return c.post(
            f"{base}schedule/add/", admin_schedule_form(name="m-secret", task_type="t.secret")
        )
    if action == "schedule_change":
        return c.post(
            f"{base}schedule/{w.schedule.pk}/change/",
            admin_schedule_form(name="m-existing", cron="*/5 * * * *", enabled=""),
        )
    if action == "schedule_delete":
        return c.post(f"{base}schedule/{w.schedule.pk}/delete/", {"post": "yes"})
    if action == "force_abort":
        return c.post(f"{base}task/", {"action": "abort_selected", "_selected_action": [w.task.pk]})
    if action == "rerun":
        selected = [w.finished.pk]
        return c.post(f"{base}task/", {"action": "rerun_selected", "_selected_action": selected})
    if action == "delete_finished":
        selected = [w.finished.pk]
        return c.post(f"{base}task/", {"action": "delete_finished", "_selected_action": selected})
    if action == "audit_view":
        return c.get(f"{base}operatoraction/")
    if action == "asset_write":
        form = {"asset": "orders", "key": "k", "value": "1"}
        return c.post("/admin/state_app/assetstate/add/", form)
    raise AssertionError(action)


def via_command(action: str, w: World, user) -> str:
    """ "done" or "refused" (a CommandError): commands print, they answer no status."""
    as_user = [] if user is None else ["--user", user.get_username()]
    args = {
        "type_disable": ["gtf_types", "disable", "t.add"],
        "force_abort": ["gtf_abort", str(w.task.uuid)],
        "rerun": ["gtf_rerun", str(w.finished.uuid)],
        "prune": ["gtf_prune"],
    }[action]
    try:
        call_command(*args, *as_user, stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError:
        return "refused"
    return "done"


def via_service(action: str, w: World, user) -> str:
    """ "done", or the kind of the error the service raised."""
    try:
        if action == "type_disable":
            types.task_type_set_enabled(name="t.add", enabled=False, user=user)
        elif action == "schedule_create":
            schedules.schedule_create(user=user, name="m-new", **SCHEDULE_BODY)
        elif action == "schedule_secret":
            body = {**SCHEDULE_BODY, "task_type": "t.secret"}
            schedules.schedule_create(user=user, name="m-secret", **body)
        elif action == "schedule_change":
            schedules.schedule_update(schedule=w.schedule, changes={"enabled": False}, user=user)
        elif action == "schedule_delete":
            schedules.schedule_delete(schedule=w.schedule, user=user)
        elif action in ("abort", "force_abort"):
            result = services.task_abort(
                task_uuid=w.task.uuid, user=user, force=action == "force_abort"
            )
            return "left" if result.action == "unsubscribed" else "done"
        elif action == "rerun":
            services.task_rerun(task_uuid=w.finished.uuid, user=user)
        elif action == "prune":
            pruning.prune(user=user)
        elif action == "delete_finished":
            services.tasks_delete_finished(task_ids=[w.finished.pk], user=user)
        elif action == "asset_write":
            state_services.asset_state_store(user=user, asset="orders", write=True).set("k", 1)
        else:
            raise AssertionError(action)
    except exceptions.GTFError as exc:
        return {exceptions.NOT_FOUND: "hidden", exceptions.FORBIDDEN: "refused"}[exc.kind]
    return "done"


def via_fire(action: str, w: World, user) -> str:
    """A schedule of t.secret owned by ``user`` (None: the system) fires."""
    assert action == "schedule_secret"
    owner = {} if user is None else {"owner": user, "owner_name": user.get_username()}
    schedule = ScheduleFactory(name="m-secret", task_type="t.secret", **owner)
    outcome = schedules.schedule_fire(schedule.pk)
    schedule.refresh_from_db()
    assert schedule.last_outcome == outcome
    return "done" if Task.objects.filter(task_type="t.secret").exists() else "refused"


# -- what happened ---------------------------------------------------------------------
def effect(action: str, w: World) -> bool:
    """Whether the action's change is in the database."""
    if action == "type_disable":
        return not TaskType.objects.get(name="t.add").enabled
    if action == "schedule_create":
        return Schedule.objects.filter(name="m-new").exists()
    if action == "schedule_secret":
        return Schedule.objects.filter(name="m-secret").exists()
    if action == "schedule_change":
        return not Schedule.objects.get(pk=w.schedule.pk).enabled
    if action == "schedule_delete":
        return not Schedule.objects.filter(pk=w.schedule.pk).exists()
    if action in ("abort", "force_abort"):
        return Task.objects.get(pk=w.task.pk).status == TaskStatus.ABORTED
    if action == "rerun":
        return Task.objects.filter(rerun_of=w.finished).exists()
    if action in ("prune", "delete_finished"):
        return not Task.objects.filter(pk=w.finished.pk).exists()
    if action == "asset_write":
        return AssetState.objects.filter(asset="orders", key="k").exists()
    raise AssertionError(action)


def left(w: World, user) -> bool:
    """The subscriber is no longer subscribed (nobody else was to begin with)."""
    subscriber = w.users["subscriber"]
    return user == subscriber and not TaskSubscriber.objects.filter(task=w.task, user=user).exists()


def http_outcome(action: str, w: World, user, response) -> str:
    """What an HTTP face did, from the database first and the answer second."""
    code = response.status_code
    if action == "audit_view":
        return "done" if code == 200 else "refused"
    if action in ("abort", "force_abort") and left(w, user) and not effect(action, w):
        return "left"
    if effect(action, w):
        return "done"
    if code == 404:
        return "hidden"
    if code in (401, 403):
        return "refused"
    if code == 302 and "/login/" in response["Location"]:
        return "refused"  # the admin and the pages send the signed-out and non-staff away
    # The admin answers refused actions with 200/302 and a message: nothing changed.
    return "refused"


@pytest.mark.parametrize(("action", "face", "role"), list(cells()))
def test_permission_matrix(action, face, role, world):
    user = world.user(role)
    if face == "api":
        got = http_outcome(action, world, user, via_api(action, world, user))
    elif face == "page":
        got = http_outcome(action, world, user, via_page(action, world, user))
    elif face == "admin":
        got = http_outcome(action, world, user, via_admin(action, world, user))
    elif face == "command":
        got = via_command(action, world, user)
    elif face == "service":
        got = via_service(action, world, user if role != "anonymous" else AnonymousUser())
    else:
        got = via_fire(action, world, user)
    expected = EXPECTED[action][role]
    if face in BLUNT_FACES and expected == "hidden":
        expected = "refused"
    assert got == expected
    if face not in ("fire",) and action != "audit_view":
        # The database agrees with the answer: a refused cell changed nothing.
        assert effect(action, world) is (got == "done")


def test_the_matrix_covers_every_face_and_role():
    faces = {face for faces in FACES.values() for face in faces}
    assert faces == {"api", "page", "admin", "command", "service", "fire"}
    assert set(EXPECTED) == set(FACES) == set(NEEDS)
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


@pytest.mark.parametrize("action", ["force_abort"])
def test_a_done_cell_leaves_one_audit_row(world, action):
    # The audit side of a "done" cell (the full story: tests/tasks_app/test_audit.py).
    user = world.user("staff_perm")
    via_api("force_abort", world, user)
    rows = OperatorAction.objects.filter(action="force_abort", target_id=str(world.task.uuid))
    assert [(r.actor_id, r.actor_name) for r in rows] == [(user.pk, user.get_username())]


@pytest.mark.parametrize("action", ["force_abort"])
@pytest.mark.parametrize(("role", "offered"), [("staff_noperm", False), ("staff_perm", True)])
def test_the_pages_offer_an_action_only_to_whom_the_rule_allows_it(world, action, role, offered):
    user = world.user(role)
    page = web_client(user).get(f"/tasks/{world.task.uuid}/").content.decode()
    assert (f'action="/tasks/{world.task.uuid}/abort/"' in page) is offered
    switch = grant(user, "tasks_app.change_tasktype") if offered else user
    types_page = web_client(switch).get("/tasks/types/").content.decode()
    assert ('action="/tasks/types/t.add/enabled/"' in types_page) is offered
