"""Filters, search, ordering and paging of the task list, and its query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.models import TaskStatus
from tests.factories import backdate, natural_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/tasks/"
S = TaskStatus


@pytest.fixture
def tasks(user, submit):
    """Six tasks of alice: two types, three statuses, created a day apart (oldest first)."""
    now = timezone.now()
    made = []
    for i in range(6):
        task_type = "t.add" if i % 2 == 0 else "t.shared_noop"
        task = submit(user, task_type, task_key=f"key-{i}", task_name=f"Report {i}")
        made.append(backdate(task, now - timedelta(days=6 - i)))
    lifecycle.transition(made[0].pk, current=S.PENDING, target=S.ABORTED)
    lifecycle.transition(made[1].pk, current=S.PENDING, target=S.IN_PROGRESS)
    lifecycle.transition(made[2].pk, current=S.PENDING, target=S.IN_PROGRESS)
    return made


def keys(response):
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def test_default_order_is_newest_first(client_for, user, tasks):
    assert keys(client_for(user).get(URL)) == [f"key-{i}" for i in range(5, -1, -1)]


def test_status_filter_takes_several(client_for, user, tasks):
    api = client_for(user)
    assert keys(api.get(URL, {"status": "IN_PROGRESS"})) == ["key-2", "key-1"]
    both = api.get(URL + "?status=IN_PROGRESS&status=ABORTED")
    assert keys(both) == ["key-2", "key-1", "key-0"]


def test_type_scope_and_key_filters(client_for, user, tasks):
    api = client_for(user)
    assert keys(api.get(URL, {"task_type": "t.add"})) == ["key-4", "key-2", "key-0"]
    assert keys(api.get(URL, {"scope": "shared"})) == ["key-5", "key-3", "key-1"]
    assert keys(api.get(URL, {"task_key": "key-3"})) == ["key-3"]


def test_date_filters(client_for, user, tasks):
    api = client_for(user)
    now = timezone.now()
    after = (now - timedelta(days=2, hours=12)).isoformat()
    before = (now - timedelta(days=4, hours=12)).isoformat()
    assert keys(api.get(URL, {"created_after": after})) == ["key-5", "key-4"]
    assert keys(api.get(URL, {"created_before": before})) == ["key-1", "key-0"]
    # The transitions above stamped updated_at now: only those three were updated lately.
    recent = (now - timedelta(minutes=5)).isoformat()
    assert keys(api.get(URL, {"updated_after": recent})) == ["key-2", "key-1", "key-0"]


def test_search_matches_key_name_type_and_uuid(client_for, user, tasks):
    api = client_for(user)
    assert keys(api.get(URL, {"search": "KEY-4"})) == ["key-4"]
    assert keys(api.get(URL, {"search": "report 3"})) == ["key-3"]
    assert keys(api.get(URL, {"search": "shared_no"})) == ["key-5", "key-3", "key-1"]
    assert keys(api.get(URL, {"search": str(tasks[2].uuid)})) == ["key-2"]


def test_ordering(client_for, user, tasks):
    api = client_for(user)
    assert keys(api.get(URL, {"ordering": "created_at"}))[:2] == ["key-0", "key-1"]
    by_status = keys(api.get(URL, {"ordering": "status,-created_at"}))
    assert by_status == ["key-0", "key-2", "key-1", "key-5", "key-4", "key-3"]


def test_filters_and_paging_combine(client_for, user, tasks):
    api = client_for(user)
    first = api.get(URL, {"status": "PENDING", "page_size": 2})
    body = first.json()
    assert body["count"] == 3 and keys(first) == ["key-5", "key-4"]
    assert "status=PENDING" in body["next"] and "page_size=2" in body["next"]
    second = api.get(body["next"])
    assert keys(second) == ["key-3"] and second.json()["next"] is None


def test_page_size_has_a_maximum(client_for, user, submit):
    from tasks_app.api.base import GTFPagination as TaskPagination

    for _ in range(TaskPagination.max_page_size + 5):
        submit(user)
    body = client_for(user).get(URL, {"page_size": 10_000}).json()
    assert len(body["results"]) == TaskPagination.max_page_size and body["next"]


def _queries_for_page(api, size, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(URL, {"page_size": size, **params})
    assert len(response.json()["results"]) == size
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("as_staff", [False, True])
@pytest.mark.parametrize("cap", [10_000, 10])
def test_page_costs_the_same_queries_whatever_its_size(
    client_for, user, other, staff, submit, settings, as_staff, cap
):
    settings.GTF = {**settings.GTF, "LIST_COUNT_CAP": cap}
    for i in range(50):
        # Shared tasks with two subscribers, private ones: both walks of a user's page, and
        # counts and flags must not cost a query per row.
        submit(user, "t.shared_noop", task_key=f"s{i}")
        submit(other, "t.shared_noop", task_key=f"s{i}")
        submit(user, task_key=f"p{i}")
    api = client_for(staff if as_staff else user)
    (one, first), (fifty, _) = _queries_for_page(api, 1), _queries_for_page(api, 50)
    estimated = cap < 100 and connection.vendor == "postgresql"
    # The page with its count (stopping at cap + 1 rows) in one statement, and past the cap
    # the estimate.
    assert one == fifty == (2 if estimated else 1)
    if cap > 100:
        assert (first["count"], first["count_is_exact"]) == (100, True)
    else:  # the estimate, never less than the rows known to exist
        assert first["count"] >= cap + 1 and first["count_is_exact"] is False
    last, body = _queries_for_page(api, 50, page=2)
    assert last == 1  # the page shows the end of the list: no count needed
    assert (body["count"], body["count_is_exact"], body["next"]) == (100, True, None)
    rows = api.get(URL, {"page_size": 50, "task_type": "t.shared_noop"}).json()["results"]
    assert {r["subscriber_count"] for r in rows} == {2}
    assert {r["is_subscribed"] for r in rows} == {not as_staff}
    assert {r["created_by"]["username"] for r in rows} == {natural_key("alice")}


def test_beyond_the_cap_pages_still_end_where_the_tasks_end(client_for, user, submit, settings):
    settings.GTF = {**settings.GTF, "LIST_COUNT_CAP": 5}
    for i in range(12):
        submit(user, task_key=f"k{i}")
    api = client_for(user)
    body = api.get(URL, {"page_size": 5}).json()
    assert body["count_is_exact"] is False and body["count"] >= 6
    seen = [row["key"] for row in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen += [row["key"] for row in body["results"]]
    assert sorted(seen) == sorted(f"k{i}" for i in range(12)) and len(seen) == 12
    # The last page saw the end: its count is exact.
    assert (body["count"], body["count_is_exact"]) == (12, True)


def test_the_last_page_is_served_only_when_the_count_is_exact(client_for, user, submit, settings):
    for i in range(12):
        submit(user, task_key=f"k{i}")
    api = client_for(user)
    last = api.get(URL, {"page_size": 5, "page": "last"})
    assert last.status_code == 200 and keys(last) == ["k1", "k0"]
    settings.GTF = {**settings.GTF, "LIST_COUNT_CAP": 5}
    unknown = api.get(URL, {"page_size": 5, "page": "last"})
    assert unknown.status_code == 404
    assert "last page is not known" in unknown.json()["detail"]


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "4", "99999999999999999999999"])
def test_a_page_that_does_not_exist_is_404(client_for, user, submit, page):
    for i in range(12):
        submit(user, task_key=f"k{i}")
    response = client_for(user).get(URL, {"page_size": 5, "page": page})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_schema_describes_the_count_and_whether_it_is_exact():
    from tests.tasks_app.api.schema_check import openapi_dict

    schemas = openapi_dict()["components"]["schemas"]
    page = schemas["PaginatedTaskList"]
    assert page["required"] == ["count", "count_is_exact", "next", "previous", "results"]
    assert page["properties"]["count_is_exact"]["type"] == "boolean"
    assert "estimate" in page["properties"]["count"]["description"]
