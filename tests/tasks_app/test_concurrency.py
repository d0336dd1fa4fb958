"""Many callers submitting the same key at once get one task, all of them
(docs/design.md, "Dedup")."""

import multiprocessing
import threading

import pytest
from django.db import connection, connections

from tasks_app.models import Task, TaskSubscriber
from tasks_app.services import task_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 32


def _hammer(users, key, scope, barrier, out, errors):
    def one(u):
        try:
            barrier.wait(timeout=30)
            res = task_submit(task_type="t.shared_noop", user=u, task_key=key, scope=scope)
            out.append((u.pk, str(res.task.uuid), res.created))
        except Exception as exc:  # every exception is a test failure
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


@pytest.fixture
def no_run(settings):
    # Leave tasks PENDING so the dedup slot stays taken during the whole race.
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}


def test_threads_submitting_same_shared_key_get_one_task(no_run):
    users = [UserFactory() for _ in range(THREADS)]
    out, errors = [], []
    _hammer(users, "race", "shared", threading.Barrier(THREADS), out, errors)
    assert errors == []
    assert len(out) == THREADS
    assert len({uuid for _, uuid, _ in out}) == 1
    assert sum(created for *_, created in out) == 1
    assert Task.objects.count() == 1
    assert set(TaskSubscriber.objects.values_list("user_id", flat=True)) == {u.pk for u in users}


def test_threads_submitting_same_private_key_get_one_task_per_user(no_run):
    users = [UserFactory() for _ in range(4)]
    callers = [u for u in users for _ in range(THREADS // 4)]
    out, errors = [], []
    _hammer(callers, "mine", "private", threading.Barrier(len(callers)), out, errors)
    assert errors == []
    by_user = {}
    for pk, uuid, _ in out:
        by_user.setdefault(pk, set()).add(uuid)
    assert all(len(v) == 1 for v in by_user.values()) and len(by_user) == 4
    assert Task.objects.count() == 4
    assert TaskSubscriber.objects.count() == 0


def _process_main(user_pks, barrier, queue):
    from django.contrib.auth import get_user_model

    users = list(get_user_model().objects.filter(pk__in=user_pks))
    connection.close()
    out, errors = [], []
    _hammer(users, "race", "shared", barrier, out, errors)
    queue.put((out, errors))


def test_processes_submitting_same_shared_key_get_one_task(no_run):
    users = [UserFactory() for _ in range(16)]
    connections.close_all()  # a forked child must not share the parent's sockets
    ctx = multiprocessing.get_context("fork")
    per_process = [[u.pk for u in users[:8]], [u.pk for u in users[8:]]]
    barrier = ctx.Barrier(16)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_process_main, args=(pks, barrier, queue)) for pks in per_process]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    out = [row for rows, _ in results for row in rows]
    errors = [e for _, errs in results for e in errs]
    assert errors == []
    assert len(out) == 16 and len({uuid for _, uuid, _ in out}) == 1
    assert sum(created for *_, created in out) == 1
    assert Task.objects.count() == 1
    assert TaskSubscriber.objects.count() == 16
