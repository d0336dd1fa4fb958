import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks_app.models import Task, TaskStatus
from tasks_app.worker.reaper import reap
from tests.qcluster import DJANGO_Q_EXECUTOR

pytestmark = pytest.mark.django_db
S = TaskStatus


def running(task_type="t.add", *, beat_ago=120, started_ago=10, status=S.IN_PROGRESS, **kw):
    now = timezone.now()
    return Task.objects.create(
        task_type=task_type,
        task_key="k",
        scope="private",
        status=status,
        started_at=now - timedelta(seconds=started_ago),
        heartbeat_at=now - timedelta(seconds=beat_ago),
        attempt=1,
        timeout=3600,
        dedup_key="a" * 64,
        **kw,
    )


def test_stale_task_fails_as_worker_lost():
    task = running()
    report = reap()
    task.refresh_from_db()
    assert report.failed == [str(task.uuid)]
    assert task.status == S.FAILURE and task.error_type == "WorkerLost"
    assert task.error_message.startswith("The worker running this task was lost")
    assert task.dedup_key is None


def test_fresh_heartbeat_is_left_alone():
    task = running(beat_ago=5)
    assert reap().total() == 0
    task.refresh_from_db()
    assert task.status == S.IN_PROGRESS


def test_overdue_stale_task_times_out():
    task = running(started_ago=7200)
    reap()
    task.refresh_from_db()
    assert task.status == S.TIMED_OUT
    assert "exceeded its timeout of 3600 s" in task.error_message


def test_stale_aborting_task_ends_aborted():
    task = running(status=S.ABORTING)
    reap()
    task.refresh_from_db()
    assert task.status == S.ABORTED


def test_type_with_retries_is_requeued(django_capture_on_commit_callbacks, settings):
    from tasks_app.decorators import register
    from tasks_app.registry import registry

    def flaky() -> str:
        return "second time lucky"

    register(flaky, name="t.retry_once", max_retries=1)
    try:
        task = running("t.retry_once")
        with django_capture_on_commit_callbacks(execute=True):
            report = reap()
        assert report.requeued == [str(task.uuid)]
        task.refresh_from_db()
        # The immediate executor ran it again: attempt 2, and it succeeded.
        assert task.status == S.SUCCESS and task.attempt == 2
        assert task.result == "second time lucky"
        task2 = running("t.retry_once")
        Task.objects.filter(pk=task2.pk).update(attempt=2)
        reap()
        task2.refresh_from_db()
        assert task2.status == S.FAILURE  # retries used up
    finally:
        registry.unregister("t.retry_once")


@pytest.fixture
def redis_queue(settings, monkeypatch):
    """GTF's broker in its Redis flavour, on the test Redis (CI runs one; so must you)."""
    from django_q.conf import Conf

    from tasks_app.worker.executors import django_q

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(
        Conf, "REDIS", os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    )
    monkeypatch.setattr(django_q, "_brokers", {})
    settings.GTF = {**settings.GTF, "EXECUTOR": DJANGO_Q_EXECUTOR, "REQUEUE_PENDING_AFTER": 60}
    broker = django_q._broker()
    broker.purge_queue()
    yield broker
    broker.purge_queue()


@pytest.mark.django_db(transaction=True)
def test_lost_message_is_pushed_again(redis_queue, user):
    from tasks_app.dispatch import get_executor
    from tasks_app.services import task_submit

    executor = get_executor()
    assert executor.pushes_messages
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    assert str(task.uuid) in executor.queued_task_uuids()
    assert reap().reenqueued == []  # young, and queued
    redis_queue.purge_queue()  # the broker lost it
    Task.objects.filter(pk=task.pk).update(run_after=timezone.now() - timedelta(seconds=120))
    assert reap().reenqueued == [str(task.uuid)]
    assert str(task.uuid) in executor.queued_task_uuids()
    assert reap().reenqueued == []  # queued now: not again


@pytest.mark.django_db(transaction=True)
def test_deferred_task_is_pushed_once_due(redis_queue, user):
    from tasks_app.dispatch import get_executor
    from tasks_app.services import task_submit
    from tasks_app.worker.reaper import push_due

    executor = get_executor()
    later = timezone.now() + timedelta(seconds=30)
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}, run_after=later).task
    assert str(task.uuid) not in executor.queued_task_uuids()  # not before its time
    push_due()
    assert str(task.uuid) not in executor.queued_task_uuids()
    Task.objects.filter(pk=task.pk).update(run_after=timezone.now())
    push_due()
    assert str(task.uuid) in executor.queued_task_uuids()
    push_due()
    assert sum(u == str(task.uuid) for u in executor.queued_task_uuids()) == 1


def test_claims_of_a_dead_node_go_back_to_the_queue():
    from tasks_app import queue
    from tasks_app.models import ClusterNode
    from tests.factories import TaskFactory

    now = timezone.now()
    long_ago = now - timedelta(seconds=600)
    orphaned = TaskFactory(claimed_by="dead:1:x", claimed_at=long_ago)
    kept = TaskFactory(claimed_by="live:2:y", claimed_at=long_ago)
    for name, beat in (("dead:1:x", long_ago), ("live:2:y", now)):
        ClusterNode.objects.create(name=name, host="h", pid=1, started_at=now, heartbeat_at=beat)
    released = queue.release_lost_claims(
        node_dead_before=now - timedelta(seconds=60), claim_older_than=now - timedelta(hours=1)
    )
    assert released == 1
    assert Task.objects.get(pk=orphaned.pk).claimed_by == ""
    assert Task.objects.get(pk=kept.pk).claimed_by == "live:2:y"
    assert list(ClusterNode.objects.values_list("name", flat=True)) == ["live:2:y"]
    # Held too long even by a live node: back as well.
    assert queue.release_lost_claims(node_dead_before=now, claim_older_than=now) == 1


def test_reap_command_reports(capsys):
    task = running()
    call_command("gtf_reap")
    out = capsys.readouterr().out
    assert "failed: 1" in out and str(task.uuid) in out


def test_reaper_is_installed_as_a_django_q_schedule(settings):
    from django_q.models import Schedule

    from tasks_app.ops.maintenance import install_periodic_jobs

    settings.GTF = {**settings.GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    install_periodic_jobs()
    schedule = Schedule.objects.get(name="gtf.reap")
    assert schedule.func == "tasks_app.worker.reaper.reap" and schedule.minutes == 1
    install_periodic_jobs()  # idempotent
    assert Schedule.objects.filter(name="gtf.reap").count() == 1
