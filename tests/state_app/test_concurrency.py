"""Concurrent writers lose nothing (real threads, real connections)."""

import threading

import pytest
from django.db import connection

from state_app.stores import AssetStateStore, TaskStateStore
from tests.state_app.conftest import make_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.row_locks]
THREADS = 8
ROUNDS = 25


def hammer(work):
    barrier = threading.Barrier(THREADS)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            for _ in range(ROUNDS):
                work()
        except Exception as exc:  # any exception fails the test
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_update_from_8_threads_loses_no_increment(require_row_locks, user):
    task = make_task(user)
    # The key does not exist yet: the first writers also race on the insert.
    errors = hammer(lambda: TaskStateStore(task.pk).update("n", lambda v: v + 1, default=0))
    assert errors == []
    entry = TaskStateStore(task.pk).get_entry("n")
    assert entry.value == THREADS * ROUNDS
    assert entry.version == THREADS * ROUNDS


def test_asset_update_and_concurrent_sets(require_row_locks):
    errors = hammer(
        lambda: AssetStateStore("orders").update("seen", lambda v: v + [len(v)], default=[])
    )
    assert errors == []
    assert AssetStateStore("orders").get("seen") == list(range(THREADS * ROUNDS))
    versions = []
    errors = hammer(lambda: versions.append(AssetStateStore("orders").set("last", 1).version))
    assert errors == []
    # Every set got its own version: each one increments the row it holds locked.
    assert sorted(versions) == list(range(1, THREADS * ROUNDS + 1))


def test_compare_and_set_lets_one_writer_win_each_version(require_row_locks):
    AssetStateStore("orders").set("c", 0)
    wins = []

    def attempt():
        store = AssetStateStore("orders")
        entry = store.get_entry("c")
        try:
            store.compare_and_set("c", entry.version, entry.value + 1)
            wins.append(1)
        except Exception as exc:
            if type(exc).__name__ != "VersionMismatch":
                raise

    assert hammer(attempt) == []
    assert AssetStateStore("orders").get("c") == len(wins)
