"""Filters, search, ordering and paging of the task list, and its query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app import lifecycle
from tasks_app.models import Task, TaskStatus

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
        created = now - timedelta(days=6 - i)
        Task.objects.filter(pk=task.pk).update(created_at=created, updated_at=created)
        made.append(task)
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


def _queries_for_page(api, size):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(URL, {"page_size": size})
    assert len(response.json()["results"]) == size
    return len(ctx.captured_queries)


@pytest.mark.parametrize("as_staff", [False, True])
def test_page_costs_the_same_queries_whatever_its_size(
    client_for, user, other, staff, submit, as_staff
):
    for i in range(50):
        # Shared tasks with two subscribers: counts and flags must not cost a query per row.
        submit(user, "t.shared_noop", task_key=f"s{i}")
        submit(other, "t.shared_noop", task_key=f"s{i}")
    api = client_for(staff if as_staff else user)
    one = _queries_for_page(api, 1)
    fifty = _queries_for_page(api, 50)
    assert one == fifty == 2  # COUNT(*) and the page itself
    rows = api.get(URL, {"page_size": 50}).json()["results"]
    assert {r["subscriber_count"] for r in rows} == {2}
    assert {r["is_subscribed"] for r in rows} == {not as_staff}
    assert {r["created_by"]["username"] for r in rows} == {"alice"}
