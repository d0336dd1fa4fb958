"""Bulk submit: many tasks in a few statements, dedup intact, all checked before any write."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app import inserts
from tasks_app.exceptions import InvalidInput, ParameterError
from tasks_app.models import Task, TaskSubscriber
from tasks_app.services import SubmitItem, task_submit, task_submit_many
from tests.testapp.tasks import add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_runs(settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}


def test_creates_every_task_in_order(user):
    items = [SubmitItem("t.add", {"a": i}) for i in range(50)]
    results = task_submit_many(items=items, user=user)
    assert [r.created for r in results] == [True] * 50
    assert [r.task.parameters["a"] for r in results] == list(range(50))
    assert Task.objects.count() == 50
    assert all(r.task.pk and r.task.created_by_id == user.pk for r in results)


@pytest.mark.returning  # MariaDB/MySQL: no INSERT … RETURNING, a batch is written task by task
def test_statements_do_not_grow_with_the_batch(user, django_assert_max_num_queries):
    items = [SubmitItem("t.shared_noop", options={"task_key": f"k{i}"}) for i in range(200)]
    with django_assert_max_num_queries(6):  # BEGIN/COMMIT aside: insert, holders, subscribers
        task_submit_many(items=items, user=user)
    assert TaskSubscriber.objects.filter(user=user).count() == 200


def test_keys_held_by_active_tasks_are_joined_and_reported(user, other):
    held = task_submit(task_type="t.shared_noop", user=user, task_key="held").task
    results = task_submit_many(
        items=[
            SubmitItem("t.shared_noop", options={"task_key": "held"}),
            SubmitItem("t.shared_noop", options={"task_key": "new"}),
            SubmitItem("t.shared_noop", options={"task_key": "new"}),  # joins the one above
        ],
        user=other,
    )
    assert [r.created for r in results] == [False, True, False]
    assert results[0].task.pk == held.pk
    assert results[1].task.pk == results[2].task.pk
    assert TaskSubscriber.objects.filter(task=held, user=other).exists()
    assert Task.objects.filter(task_key="new").count() == 1


def test_an_invalid_item_is_named_and_nothing_is_written(user):
    items = [SubmitItem("t.add", {"a": 1}), SubmitItem("t.add", {"a": "x"})]
    with pytest.raises(ParameterError) as info:
        task_submit_many(items=items, user=user)
    assert "items[1].a" in info.value.errors
    with pytest.raises(InvalidInput) as bad:
        task_submit_many(items=[SubmitItem("t.add", {"a": 1}, {"task_key": 5})], user=user)
    assert bad.value.field == "items[0].task_key"
    assert not Task.objects.exists()


def test_deferred_items(user):
    later = timezone.now() + timedelta(hours=1)
    (result,) = task_submit_many(
        items=[SubmitItem("t.add", {"a": 1}, {"run_after": later})], user=user
    )
    assert result.task.run_after == later


def test_a_handle_submits_many_of_its_type(user):
    results = add.submit_many([{"a": 1}, add.item({"a": 2}, task_key="two")], user=user)
    assert [r.task.task_type for r in results] == ["t.add", "t.add"]
    assert [r.task.parameters["a"] for r in results] == [1, 2]
    assert results[1].task.task_key == "two"
    again = add.submit_many([add.item({"a": 9}, task_key="two")], user=user)
    assert again[0].created is False and again[0].task.pk == results[1].task.pk


def test_a_handle_refuses_an_item_of_another_type(user):
    with pytest.raises(InvalidInput, match="'t.shared_noop' task") as refused:
        add.submit_many([{"a": 1}, SubmitItem("t.shared_noop")], user=user)
    assert refused.value.field == "items[1]"
    with pytest.raises(ParameterError):
        add.submit_many([{"a": "x"}], user=user)
    assert Task.objects.count() == 0


STORED = (
    "task_type",
    "task_key",
    "task_name",
    "scope",
    "parameters",
    "created_by_id",
    "timeout",
    "run_after",
    "dedup_key",
    "status",
    "is_abortable",
)


@pytest.mark.parametrize("size", [1, 2, 7])
def test_each_row_holds_what_its_item_says(user, size):
    # Values shared by the whole batch and values of one item travel differently: both land.
    later = timezone.now() + timedelta(minutes=5)
    kinds = [
        SubmitItem("t.add", {"a": 1}),
        SubmitItem("t.add", {"b": 2, "a": 1}, {"task_name": "named", "timeout": 7}),
        SubmitItem("t.shared_noop", options={"task_key": "s", "scope": "shared"}),
        SubmitItem("t.add", {"a": 1}, {"run_after": later, "task_key": "k"}),
    ]
    items = [kinds[i % len(kinds)] for i in range(size)]
    results = task_submit_many(items=items, user=user)
    for item, result in zip(items, results, strict=True):
        row = Task.objects.filter(pk=result.task.pk).values(*STORED).get()
        in_memory = {name: getattr(result.task, name) for name in STORED}
        assert row == in_memory
        assert row["task_type"] == item.task_type
        assert row["parameters"] == (item.parameters or {}) | (
            {"b": 1} if item.task_type == "t.add" and "b" not in (item.parameters or {}) else {}
        )
        assert row["task_name"] == item.options.get("task_name", "")
    if inserts.supports_bulk():  # MariaDB/MySQL write a batch task by task
        assert len({r.task.created_at for r in results}) == 1  # one time for the batch
