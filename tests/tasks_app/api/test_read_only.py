"""GTF["API_READ_ONLY"]: write routes of the named resources answer 405 and leave the schema;
reads and the other resources keep working."""

import json

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from state_app.models import AssetState, TaskState
from tasks_app.models import Schedule, Task, TaskType

pytestmark = pytest.mark.django_db

# (resource, method, path template, body): every write route of the API.
WRITES = [
    ("tasks", "post", "/api/v1/tasks/", {"task_type": "t.shared_noop", "task_key": "new"}),
    ("tasks", "post", "/api/v1/tasks/{uuid}/abort/", {}),
    ("tasks", "post", "/api/v1/tasks/{uuid}/rerun/", {}),
    ("task_types", "patch", "/api/v1/task-types/t.add/", {"enabled": False}),
    ("schedules", "post", "/api/v1/schedules/", None),
    ("schedules", "put", "/api/v1/schedules/{schedule}/", None),
    ("schedules", "patch", "/api/v1/schedules/{schedule}/", {"enabled": False}),
    ("schedules", "delete", "/api/v1/schedules/{schedule}/", None),
    ("state", "put", "/api/v1/tasks/{uuid}/state/k/", {"value": 2}),
    ("state", "patch", "/api/v1/tasks/{uuid}/state/k/", {"value": 2}),
    ("state", "delete", "/api/v1/tasks/{uuid}/state/k/", None),
    ("state", "delete", "/api/v1/tasks/{uuid}/state/", None),
    ("state", "put", "/api/v1/assets/wh.orders/state/k/", {"value": 2}),
    ("state", "patch", "/api/v1/assets/wh.orders/state/k/", {"value": 2}),
    ("state", "delete", "/api/v1/assets/wh.orders/state/k/", None),
    ("state", "delete", "/api/v1/assets/wh.orders/state/", None),
]
SCHEDULE = {"name": "s", "task_type": "t.shared_noop", "kind": "interval", "interval_seconds": 60}
READS = [
    "/api/v1/tasks/",
    "/api/v1/tasks/{uuid}/",
    "/api/v1/task-types/t.add/",
    "/api/v1/schedules/{schedule}/",
    "/api/v1/tasks/{uuid}/state/k/",
    "/api/v1/assets/wh.orders/state/",
]


@pytest.fixture
def world(staff, null_executor):
    """Rows every write route points at, and a snapshot of what a write would change."""
    from state_app.services import asset_state_store, task_state_store
    from tasks_app.ops import schedules
    from tasks_app.services import task_submit

    task = task_submit(task_type="t.shared_noop", user=staff, task_key="ro").task
    task_state_store(user=staff, task_uuid=task.uuid, write=True).set("k", 1)
    asset_state_store(user=staff, asset="wh.orders", write=True).set("k", 1)
    schedule = schedules.schedule_create(user=staff, **SCHEDULE)
    return {"uuid": task.uuid, "schedule": schedule.pk}


def snapshot():
    return (
        list(Task.objects.values_list("uuid", "status")),
        list(TaskType.objects.filter(enabled=False).values_list("name")),
        list(Schedule.objects.values_list("name", "enabled", "updated_at")),
        list(TaskState.objects.values_list("key", "version")),
        list(AssetState.objects.values_list("key", "version")),
    )


def send(client, method, path, body, world):
    url = path.format(**world)
    if body is None and method in ("post", "put"):
        body = {**SCHEDULE, "name": "other"}
    return getattr(client, method)(url, body, format="json")


def fresh_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def operations(schema: dict) -> set[tuple[str, str]]:
    return {(m, p) for p, item in schema["paths"].items() for m in item if m != "parameters"}


SCHEMA_NAMES = {
    "{schedule}": "{id}",
    "/tasks/{uuid}/state/": "/tasks/{task_uuid}/state/",
    "/state/k/": "/state/{key}/",
    "/assets/wh.orders/": "/assets/{asset}/",
    "/t.add/": "/{name}/",
}


def schema_path(path: str) -> str:
    for concrete, template in SCHEMA_NAMES.items():
        path = path.replace(concrete, template)
    return path


@pytest.mark.parametrize("resource", ["tasks", "task_types", "schedules", "state"])
def test_read_only_resource_refuses_its_writes_only(resource, settings, staff, world):
    settings.GTF = {**settings.GTF, "API_READ_ONLY": [resource]}
    client = APIClient()  # a 405 is not in the schema: that is the point
    client.force_authenticate(staff)
    before = snapshot()
    for owner, method, path, body in WRITES:
        if owner != resource:
            continue
        r = send(client, method, path, body, world)
        assert r.status_code == 405, (method, path)
        assert r.json()["detail"] == (
            f"{resource} is read-only on this server: {method.upper()} is turned off."
        )
        assert method.upper() not in r["Allow"] and "OPTIONS" in r["Allow"]
    assert snapshot() == before
    for path in READS:
        assert client.get(path.format(**world)).status_code == 200, path
    # Another resource's writes still work.
    other = "state" if resource != "state" else "task_types"
    owner, method, path, body = next(w for w in WRITES if w[0] == other and w[1] == "patch")
    assert send(client, method, path, body, world).status_code == 200


def test_read_only_refuses_anonymous_callers_with_405_too(settings, world):
    settings.GTF = {**settings.GTF, "API_READ_ONLY": True}
    r = APIClient().post("/api/v1/tasks/", {"task_type": "t.add"}, format="json")
    assert r.status_code == 405


def test_true_turns_every_write_off_and_out_of_the_schema(settings, staff, world):
    full = operations(fresh_schema())
    writes = {(m, schema_path(p)) for _, m, p, _ in WRITES}
    assert writes <= full  # the table above names real operations
    settings.GTF = {**settings.GTF, "API_READ_ONLY": True}
    client = APIClient()
    client.force_authenticate(staff)
    for _, method, path, body in WRITES:
        assert send(client, method, path, body, world).status_code == 405, (method, path)
    read_only = operations(fresh_schema())
    assert read_only == full - writes
    assert all(m == "get" for m, _ in read_only)


@pytest.mark.parametrize("resource", ["tasks", "task_types", "schedules", "state"])
def test_schema_leaves_out_exactly_the_turned_off_routes(resource, settings):
    full = operations(fresh_schema())
    settings.GTF = {**settings.GTF, "API_READ_ONLY": [resource]}
    gone = {(m, schema_path(p)) for owner, m, p, _ in WRITES if owner == resource}
    assert operations(fresh_schema()) == full - gone


def test_served_schema_follows_the_setting_and_validates(settings, tmp_path):
    settings.GTF = {**settings.GTF, "API_READ_ONLY": ["schedules", "task_types"]}
    served = APIClient().get("/api/schema/?format=json").json()
    assert "patch" not in served["paths"]["/api/v1/task-types/{name}/"]
    assert set(served["paths"]["/api/v1/schedules/"]) == {"get"}
    assert "post" in served["paths"]["/api/v1/tasks/"]
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    assert "/api/v1/schedules/{id}/" in out.read_text()


@pytest.mark.parametrize("value", ["tasks", ["tasks", "jobs"], 3])
def test_a_bad_setting_is_reported_by_a_system_check(settings, value):
    settings.GTF = {**settings.GTF, "API_READ_ONLY": value}
    errors = [e for e in run_checks() if e.id == "gtf.E002"]
    assert len(errors) == 1 and "API_READ_ONLY" in errors[0].msg


@pytest.mark.parametrize("value", [False, None, [], ("state",), True])
def test_good_settings_pass_the_check(settings, value):
    settings.GTF = {**settings.GTF, "API_READ_ONLY": value}
    assert not [e for e in run_checks() if e.id == "gtf.E002"]
