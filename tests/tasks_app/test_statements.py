"""What a submit and a task execution cost in statements on PostgreSQL (the hot paths)."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app import queue
from tasks_app.availability import switch
from tasks_app.services import task_submit
from tasks_app.worker.runner import run_task

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def table_is_the_queue(settings):
    # Submits write nothing but the task row when the rows are the queue.
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}


def statements(fn):
    switch.disabled()  # read once per HEARTBEAT_INTERVAL, not per submit: warm it first
    with CaptureQueriesContext(connection) as queries:
        fn()
    return [q["sql"] for q in queries]


@pytest.mark.parametrize(
    ("task_type", "key"),
    [("t.add", None), ("t.add", "k"), ("t.shared_noop", "s")],
    ids=["keyless", "keyed private", "keyed shared"],
)
def test_a_submit_is_one_statement(user, task_type, key):
    params = {"a": 1} if task_type == "t.add" else {}
    sql = statements(
        lambda: task_submit(task_type=task_type, user=user, parameters=params, task_key=key)
    )
    assert len(sql) == 1 and "INSERT INTO" in sql[0]


def test_a_join_is_one_statement_too(user, other):
    first = task_submit(task_type="t.shared_noop", user=user, task_key="j").task
    results = []
    sql = statements(
        lambda: results.append(task_submit(task_type="t.shared_noop", user=other, task_key="j"))
    )
    assert len(sql) == 1
    assert results[0].created is False and results[0].task.pk == first.pk
    assert first.subscribers.filter(user=other).exists()


def test_an_execution_is_two_statements(user):
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    sql = statements(lambda: run_task(str(task.uuid), "t.add"))
    assert len(sql) == 2
    assert sql[0].startswith("UPDATE") and "RETURNING" in sql[0]  # claim and read
    assert sql[1].startswith("UPDATE") and "'SUCCESS'" in sql[1]  # finish


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_take_the_same_task(user):
    for i in range(60):
        task_submit(task_type="t.add", user=user, parameters={"a": i})
    taken: list[list[str]] = []
    barrier = threading.Barrier(4)

    def claim(node):
        barrier.wait()
        mine = []
        while batch := queue.claim(node=node, limit=3):
            mine += [c.uuid for c in batch]
        taken.append(mine)
        connection.close()

    threads = [threading.Thread(target=claim, args=(f"n:{i}:x",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    every = [u for mine in taken for u in mine]
    assert len(every) == 60 == len(set(every))


@pytest.mark.parametrize("prepared", [True, False])
def test_hot_statements_are_prepared_unless_turned_off(user, settings, prepared):
    settings.GTF = {**settings.GTF, "PREPARED_STATEMENTS": prepared}

    def prepared_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    before = prepared_count()
    for key in ("p1", "p2"):
        task_submit(task_type="t.add", user=user, parameters={"a": 1}, task_key=key)
    assert (prepared_count() > before) is prepared
