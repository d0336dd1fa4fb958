"""Removal of expired task state: the command, the function and its Django-Q2 schedule."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from state_app.cleanup import state_cleanup
from state_app.models import TaskState
from tests.state_app.conftest import context_for, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(user):
    """7 expired entries over two tasks, 2 live ones and 1 that never expires."""
    past = timezone.now() - timedelta(seconds=1)
    for task in (make_task(user), make_task(user)):
        ctx = context_for(task)
        for i in range(3 if task.task_key == "k-0" else 4):
            ctx.state.set(f"old{i}", i)
        TaskState.objects.filter(task=task).update(expires_at=past)
        ctx.state.set("live", 1, ttl=3600)
    ctx.state.set("forever", 1, ttl=None)
    return ctx


def test_dry_run_counts_and_deletes_nothing(rows, capsys):
    call_command("gtf_state_cleanup", "--dry-run")
    assert "would delete 7 expired task state entries" in capsys.readouterr().out
    assert TaskState.objects.count() == 10


def test_command_deletes_expired_in_batches(rows, capsys):
    call_command("gtf_state_cleanup", "--batch-size", "2")
    assert "deleted 7 expired task state entries" in capsys.readouterr().out
    assert sorted(TaskState.objects.values_list("key", flat=True)) == ["forever", "live", "live"]
    assert rows.state.get("forever") == 1


def test_bad_batch_size():
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("gtf_state_cleanup", "--batch-size", "0")
    with pytest.raises(ValueError, match="positive integer"):
        state_cleanup(batch_size=0)


# Django-Q2's worker code closes the connection after a task: no test transaction to keep.
@pytest.mark.django_db(transaction=True)
def test_cleanup_is_a_django_q_schedule_that_runs(rows, settings):
    from django_q.models import Schedule
    from django_q.tasks import async_task

    from tasks_app.ops.maintenance import install_periodic_jobs

    settings.GTF = {
        **settings.GTF,
        "EXECUTOR": "tasks_app.worker.executors.django_q.DjangoQExecutor",
    }
    install_periodic_jobs()
    schedule = Schedule.objects.get(name="gtf.state_cleanup")
    assert schedule.func == "state_app.cleanup.state_cleanup" and schedule.minutes == 60
    # Run it the way a cluster runs a schedule's function (Django-Q2's own worker code).
    async_task(schedule.func, sync=True)
    assert TaskState.objects.count() == 3
