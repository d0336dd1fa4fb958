"""No input makes a GTF endpoint answer 5xx: one JSON parser with a nesting limit for every
endpoint, validators that refuse what parses but cannot be stored (deep nesting, NUL, lone
surrogates) naming the field, and error answers that can always be sent.

Run on SQLite and on PostgreSQL: PostgreSQL is the database that refuses NUL (a DataError).
"""

import json
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from state_app.models import AssetState, TaskState
from tasks_app.api.base import MAX_BODY_DEPTH, GTFJSONParser
from tasks_app.jsonvalues import clean_text
from tasks_app.models import Schedule, Task, TaskType
from tasks_app.services import task_submit

pytestmark = pytest.mark.django_db

API = "/api/v1/"
NUL, LONE = "a\x00b", "a\ud800b"


def nested(levels: int, leaf="x"):
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


@pytest.fixture
def world(staff, null_executor):
    """A task, a schedule and state entries of the staff user: targets that exist, so each
    route reaches its body."""
    task = task_submit(task_type="t.abortable", user=staff, parameters={"marker": "w"}).task
    schedule = Schedule.objects.create(
        name="w", task_type="t.abortable", kind="cron", cron="0 3 * * *", scope="shared"
    )
    return {"task": task.uuid, "schedule": schedule.pk, "unknown": uuid.uuid4()}


@pytest.fixture
def admin(client_for, staff):
    return client_for(staff)


@pytest.fixture
def raw(staff):
    """A client that returns a 500 instead of raising, so a test can assert it never comes."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(staff)
    return client


# Every route that reads a JSON body: (method, path), with a body that is valid but for what
# each test puts in it. {task}, {schedule}, {unknown} come from the world fixture.
BODY_ROUTES = [
    ("post", "tasks/"),
    ("post", "tasks/{task}/abort/"),
    ("post", "tasks/{unknown}/abort/"),
    ("patch", "task-types/t.abortable/"),
    ("post", "schedules/"),
    ("put", "schedules/{schedule}/"),
    ("patch", "schedules/{schedule}/"),
    ("put", "tasks/{task}/state/k/"),
    ("patch", "tasks/{task}/state/k/"),
    ("put", "assets/orders/state/k/"),
    ("patch", "assets/orders/state/k/"),
]
# Routes that read no body: whatever is sent, they answer as usual.
OTHER_ROUTES = [
    ("get", "tasks/"),
    ("get", "tasks/{task}/"),
    ("get", "tasks/{task}/status/"),
    ("get", "tasks/{task}/subscribers/"),
    ("get", "task-types/"),
    ("get", "task-types/t.abortable/"),
    ("get", "schedules/"),
    ("get", "schedules/{schedule}/"),
    ("get", "tasks/{task}/state/"),
    ("get", "tasks/{task}/state/k/"),
    ("get", "assets/"),
    ("get", "assets/orders/state/"),
    ("delete", "tasks/{task}/state/"),
    ("delete", "assets/orders/state/"),
    ("delete", "schedules/{schedule}/"),
]


def url(path: str, world) -> str:
    return API + path.format(**world)


def send(client, method: str, path: str, body: str):
    return client.generic(method.upper(), path, body, content_type="application/json")


def gtf_views():
    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                view = getattr(p.callback, "cls", None)
                if view is not None and view.__module__.startswith(("tasks_app.", "state_app.")):
                    yield view

    return set(walk(get_resolver().url_patterns))


def test_every_gtf_view_parses_json_with_the_one_parser():
    views = gtf_views()
    names = {v.__name__ for v in views}
    assert {"TaskViewSet", "TaskTypeViewSet", "ScheduleViewSet", "TaskStateEntryView"} <= names
    assert {"AssetStateEntryView", "AssetListView", "TaskStateListView"} <= names
    for view in views:
        assert view.parser_classes == [GTFJSONParser], view


# -- nesting ------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 1000, 100_000])
def test_a_body_nested_beyond_the_limit_is_a_parse_error(admin, world, method, path, depth):
    body = '{"x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    r = send(admin, method, url(path, world), body)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "parse_error"
    assert f"nested deeper than {MAX_BODY_DEPTH} levels" in r.json()["detail"]


@pytest.mark.parametrize(("method", "path"), OTHER_ROUTES)
def test_routes_without_a_body_ignore_a_deep_one(raw, world, method, path):
    r = send(raw, method, url(path, world), "[" * 5000 + "]" * 5000)
    assert r.status_code < 500


# At the limit: the body parses, and the validators (not a RecursionError later) refuse it.
JUST_PARSES = MAX_BODY_DEPTH - 2  # inside {"parameters": {"p": ...}}


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "says"),
    [
        (
            "post",
            "tasks/",
            {"task_type": "t.abortable", "parameters": {"marker": nested(JUST_PARSES)}},
            "parameters.marker",
            "nested deeper than 32 levels",
        ),
        (
            "post",
            "schedules/",
            {
                "name": "deep",
                "task_type": "t.abortable",
                "kind": "cron",
                "cron": "0 3 * * *",
                "parameters": {"marker": nested(JUST_PARSES)},
            },
            "parameters.marker",
            "nested deeper than 32 levels",
        ),
        (
            "put",
            "schedules/{schedule}/",
            {
                "name": "w",
                "task_type": "t.abortable",
                "kind": "cron",
                "cron": "0 3 * * *",
                "parameters": {"marker": nested(JUST_PARSES)},
            },
            "parameters.marker",
            "nested deeper than 32 levels",
        ),
        (
            "patch",
            "schedules/{schedule}/",
            {"parameters": {"marker": nested(JUST_PARSES)}},
            "parameters.marker",
            "nested deeper than 32 levels",
        ),
        (
            "put",
            "tasks/{task}/state/k/",
            {"value": nested(JUST_PARSES + 1)},
            "value",
            "nested deeper than 32 levels",
        ),
        (
            "put",
            "assets/orders/state/k/",
            {"value": nested(JUST_PARSES + 1)},
            "value",
            "nested deeper than 32 levels",
        ),
        (
            "post",
            "tasks/",
            {"task_type": "t.abortable", "scope": nested(JUST_PARSES + 1)},
            "scope",
            "",
        ),
        ("post", "tasks/", {"task_type": nested(JUST_PARSES + 1)}, "task_type", ""),
        (
            "post",
            "tasks/",
            {"task_type": "t.abortable", "timeout": nested(JUST_PARSES + 1)},
            "timeout",
            "",
        ),
        ("post", "tasks/{task}/abort/", {"force": nested(JUST_PARSES + 1)}, "force", ""),
        ("patch", "task-types/t.abortable/", {"enabled": nested(JUST_PARSES + 1)}, "enabled", ""),
        ("patch", "schedules/{schedule}/", {"kind": nested(JUST_PARSES + 1)}, "kind", ""),
        ("patch", "schedules/{schedule}/", {"run_at": nested(JUST_PARSES + 1)}, "run_at", ""),
        (
            "patch",
            "schedules/{schedule}/",
            {"interval_seconds": nested(JUST_PARSES + 1)},
            "interval_seconds",
            "",
        ),
        (
            "put",
            "tasks/{task}/state/k/",
            {"value": 1, "ttl": nested(JUST_PARSES + 1)},
            "ttl",
            "",
        ),
    ],
)
def test_a_body_at_the_limit_is_refused_by_the_validators(
    raw, world, method, path, body, field, says
):
    text = json.dumps(body)
    assert text.count("[") + 2 >= MAX_BODY_DEPTH - 1  # really at the parser's limit
    r = send(raw, method, url(path, world), text)
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field and says in r.json()["detail"]
    assert Task.objects.count() == 1 and Schedule.objects.count() == 1
    assert not TaskState.objects.exists() and not AssetState.objects.exists()


# -- NUL and lone surrogates --------------------------------------------------------------

ECHO = "the text itself, as it can be sent"
SCHEDULE = {"name": "s", "task_type": "t.abortable", "kind": "cron", "cron": "0 3 * * *"}
TEXT_CASES = [
    # (method, path, body with {bad} where the text goes, field named)
    ("post", "tasks/", {"task_type": "t.abortable", "task_key": "{bad}"}, "task_key"),
    ("post", "tasks/", {"task_type": "t.abortable", "task_name": "{bad}"}, "task_name"),
    ("post", "tasks/", {"task_type": "{bad}"}, "task_type"),
    ("post", "tasks/", {"task_type": "t.abortable", "scope": "{bad}"}, "scope"),
    (
        "post",
        "tasks/",
        {"task_type": "t.abortable", "parameters": {"marker": "{bad}"}},
        "parameters.marker",
    ),
    (
        "post",
        "tasks/",
        {"task_type": "t.typed", "parameters": {"count": 1, "options": {"k": ["{bad}"]}}},
        "parameters.options",
    ),
    (
        "post",
        "tasks/",
        {"task_type": "t.typed", "parameters": {"count": 1, "options": {"{bad}": 1}}},
        "parameters.options",
    ),
    ("post", "tasks/", {"task_type": "t.abortable", "parameters": {"{bad}": 1}}, "parameters"),
    ("post", "schedules/", {**SCHEDULE, "name": "{bad}"}, "name"),
    ("post", "schedules/", {**SCHEDULE, "task_key": "{bad}"}, "task_key"),
    ("post", "schedules/", {**SCHEDULE, "cron": "0 3 * * {bad}"}, "cron"),
    ("post", "schedules/", {**SCHEDULE, "task_type": "{bad}"}, "task_type"),
    ("post", "schedules/", {**SCHEDULE, "kind": "{bad}"}, "kind"),
    ("post", "schedules/", {**SCHEDULE, "scope": "{bad}"}, "scope"),
    ("post", "schedules/", {**SCHEDULE, "parameters": {"marker": "{bad}"}}, "parameters.marker"),
    ("post", "schedules/", {**SCHEDULE, "parameters": {"{bad}": 1}}, "parameters"),
    ("put", "schedules/{schedule}/", {**SCHEDULE, "name": "{bad}"}, "name"),
    ("patch", "schedules/{schedule}/", {"task_key": "{bad}"}, "task_key"),
    ("patch", "schedules/{schedule}/", {"parameters": {"marker": ["{bad}"]}}, "parameters.marker"),
    ("patch", "task-types/t.abortable/", {"enabled": False, "{bad}": 1}, ECHO),
    ("put", "tasks/{task}/state/k/", {"value": {"a": "{bad}"}}, "value"),
    ("put", "tasks/{task}/state/k/", {"value": {"{bad}": 1}}, "value"),
    ("put", "tasks/{task}/state/k/", {"value": 1, "{bad}": 1}, None),  # "Unknown field(s)"
    ("patch", "assets/orders/state/k/", {"value": ["{bad}"]}, "value"),
]


def fill(body, bad: str):
    return json.loads(json.dumps(body).replace("{bad}", json.dumps(bad)[1:-1]))


@pytest.mark.parametrize("bad", [NUL, LONE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize(("method", "path", "body", "field"), TEXT_CASES)
def test_nul_and_lone_surrogates_are_refused_naming_the_field(
    admin, world, bad, method, path, body, field
):
    before = list(TaskType.objects.values_list("name", "enabled").order_by("name"))
    r = send(admin, method, url(path, world), json.dumps(fill(body, bad)))
    assert r.status_code == 400, r.content
    answer = r.json()
    assert answer["field"] == (clean_text(bad) if field is ECHO else field), answer
    assert Task.objects.count() == 1 and Schedule.objects.filter(name="w").count() == 1
    assert Schedule.objects.count() == 1
    assert not TaskState.objects.exists() and not AssetState.objects.exists()
    assert list(TaskType.objects.values_list("name", "enabled").order_by("name")) == before


def test_an_echoed_lone_surrogate_is_sent_as_a_replacement_character(admin, world):
    # DRF quotes the input of a choice field; the answer must still be UTF-8.
    r = send(admin, "post", API + "tasks/", json.dumps({"task_type": "t.abortable", "scope": LONE}))
    assert r.status_code == 400
    assert r.json()["detail"] == 'scope: "a\ufffdb" is not a valid choice.'


@pytest.mark.parametrize("name", ["%00", "a%00b", "t.abortable%00", "%ED%A0%80", "%F0%9F"])
@pytest.mark.parametrize("method", ["get", "patch"])
def test_task_type_names_that_cannot_exist_are_not_found(admin, world, name, method):
    r = send(admin, method, f"{API}task-types/{name}/", json.dumps({"enabled": False}))
    assert r.status_code == 404, r.content
    assert r.json()["code"] == "task_type_not_found"
    assert not TaskType.objects.filter(enabled=False).exists()


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("tasks/", "task_key=%00", "task_key"),
        ("tasks/", "search=a%00", "search"),
        ("tasks/", "task_type=%00", "task_type"),
        ("tasks/", "status=%00", "status"),
        ("tasks/", "scope=%00", "scope"),
        ("tasks/", "ordering=%00", "ordering"),
        ("tasks/", "created_after=%00", "created_after"),
        ("schedules/", "task_type=%00", "task_type"),
        ("schedules/", "kind=%00", "kind"),
    ],
)
def test_nul_in_a_filter_is_refused_naming_it(admin, world, path, query, field):
    r = admin.get(f"{API}{path}?{query}")
    assert r.status_code == 400, r.content
    assert r.json()["field"] == field


@pytest.mark.parametrize("query", ["search=%ED%A0%80", "task_key=%ED%A0%80", "page=%00"])
def test_undecodable_query_bytes_are_never_an_error_of_ours(raw, world, query):
    # Django decodes a query string with replacement characters: nothing lone reaches us.
    r = raw.get(f"{API}tasks/?{query}")
    assert r.status_code in (200, 404)
