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


@pytest.mark.django_db(transaction=True)
def test_lost_pending_task_is_enqueued_again(settings, user):
    from tasks_app.dispatch import get_executor
    from tasks_app.services import task_submit

    settings.GTF = {**settings.GTF, "EXECUTOR": DJANGO_Q_EXECUTOR, "REQUEUE_PENDING_AFTER": 60}
    executor = get_executor()
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    assert str(task.uuid) in executor.queued_task_uuids()
    assert reap().reenqueued == []  # young, and queued
    _purge_queue()
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(seconds=120))
    assert reap().reenqueued == [str(task.uuid)]
    assert str(task.uuid) in executor.queued_task_uuids()
    assert reap().reenqueued == []  # queued now: not again
    _purge_queue()


def _purge_queue():
    from django_q.brokers import get_broker

    get_broker().purge_queue()


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
