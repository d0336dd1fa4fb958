"""Operations on a real Django-Q2 cluster: orphans at worker start, schedules fired by
Django-Q2's scheduler (interval, once, overrun joins, skips), shell abort."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_q.models import Schedule as QSchedule

from tasks_app.models import Schedule, ScheduleOutcome, Task, TaskStatus, TaskType
from tasks_app.ops import schedules
from tasks_app.ops import task_types as types
from tasks_app.registry import registry
from tasks_app.services import task_abort, task_submit
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, qcluster, wait_for
from tests.tasks_app.worker.test_shell import _alive

pytestmark = [pytest.mark.qcluster, pytest.mark.django_db(transaction=True)]
S = TaskStatus
O = ScheduleOutcome  # noqa: E741
TERMINAL = {S.SUCCESS, S.FAILURE, S.ABORTED, S.TIMED_OUT}


@pytest.fixture
def django_q_executor(settings):
    settings.GTF = {**settings.GTF, **FAST_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    yield
    connection.close()


def reload(obj):
    obj.refresh_from_db()
    connection.close()  # SQLite: never hold a read lock the workers wait on
    return obj


def test_orphans_are_handled_when_a_worker_starts(tmp_path):
    TaskType.objects.all().delete()
    TaskType.objects.create(name="gone.type", enabled=False)
    pending = Task.objects.create(task_type="gone.type", task_key="k", scope="shared")
    schedule = Schedule.objects.create(
        name="orphan", task_type="gone.type", kind="cron", cron="0 3 * * *", scope="shared"
    )
    with qcluster(events_dir=tmp_path, workers=1, log=tmp_path / "qcluster.log"):
        wait_for(lambda: reload(pending).status in TERMINAL, timeout=40, what="orphan task ended")
    # The start-up sync ended it (the runner's own refusal words it differently).
    assert pending.status == S.FAILURE
    assert pending.error_message == "Task type 'gone.type' is not registered."
    assert pending.started_at is None
    # The worker mirrored its registry; the orphan row and the operator's flag are kept.
    assert set(TaskType.objects.exclude(name="gone.type").values_list("name", flat=True)) == set(
        registry.names()
    )
    assert TaskType.objects.filter(last_seen_at__isnull=True).get().name == "gone.type"
    assert TaskType.objects.get(name="gone.type").enabled is False
    assert Schedule.objects.get(pk=schedule.pk).task_type == "gone.type"
    assert [o.name for o in types.orphans_find()] == ["gone.type"]


def test_schedules_fire_through_the_django_q_scheduler(tmp_path, django_q_executor, temporary_type):
    now = datetime.now(UTC)
    soon = now + timedelta(seconds=8)  # due at the cluster's first scheduler run (15 s)
    once = schedules.schedule_create(
        name="once", task_type="t.shared_noop", kind="once", run_at=now
    )
    # Runs 50 s: the next firing, 30 s later, finds it still running.
    every = schedules.schedule_create(
        name="every",
        task_type="t.sleep",
        kind="interval",
        interval_seconds=30,
        run_at=soon,
        parameters={"seconds": 50},
    )
    orphan = schedules.schedule_create(
        name="orphan", task_type=temporary_type, kind="interval", interval_seconds=30, run_at=soon
    )
    registry.unregister(temporary_type)  # the code no longer registers it
    types.task_type_set_enabled(name="t.system_noop", enabled=False)
    disabled = schedules.schedule_create(
        name="disabled", task_type="t.system_noop", kind="once", run_at=now
    )
    connection.close()
    # Django-Q2's scheduler runs each time its guard loop has counted 30 s of cycles; a 15 s
    # cycle makes that 15 s and 45 s after start instead of 30 s and 60 s.
    with qcluster(
        events_dir=tmp_path, workers=2, q={"guard_cycle": 15}, log=tmp_path / "qcluster.log"
    ):
        wait_for(lambda: reload(every).joined_count >= 1, timeout=110, what="an overrun firing")
        wait_for(
            lambda: Task.objects.filter(task_type="t.shared_noop", status=S.SUCCESS).exists(),
            timeout=20,
            what="the once task to run",
        )
    connection.close()

    # Interval: the first firing submitted, the overrun joined; one task only.
    every = reload(every)
    runs = list(Task.objects.filter(task_key="schedule:every"))
    assert len(runs) == 1 and runs[0].status in {S.IN_PROGRESS, S.SUCCESS, S.FAILURE}
    assert every.submitted_count == 1 and every.joined_count >= 1
    assert every.last_outcome == O.JOINED and every.last_task_uuid == runs[0].uuid
    assert every.next_run_at > every.last_run_at
    assert (every.next_run_at - every.run_at).total_seconds() % 30 == 0

    # Once: fired exactly once, then gone from Django-Q2's schedules.
    once = reload(once)
    assert (once.last_outcome, once.submitted_count, once.next_run_at) == (O.SUBMITTED, 1, None)
    assert not QSchedule.objects.filter(name=f"gtf.schedule.{once.pk}").exists()

    # Skipped firings are visible.
    orphan, disabled = reload(orphan), reload(disabled)
    assert orphan.last_outcome == O.SKIPPED_ORPHAN and orphan.skipped_count >= 1
    assert disabled.last_outcome == O.SKIPPED_DISABLED and disabled.skipped_count == 1
    assert not Task.objects.filter(task_type__in=["tmp.job", "t.system_noop"]).exists()


def test_shell_abort_kills_the_process_group(tmp_path, django_q_executor, staff):
    pidfile = tmp_path / "pids"
    with qcluster(events_dir=tmp_path, workers=1, log=tmp_path / "qcluster.log"):
        task = task_submit(
            task_type="shell.sleeper", user=staff, parameters={"pidfile": str(pidfile)}
        ).task
        connection.close()
        wait_for(lambda: pidfile.exists() and pidfile.read_text(), timeout=30, what="pids")
        wait_for(lambda: reload(task).is_abortable, what="abortable")
        assert task_abort(task_uuid=task.uuid, user=staff).action == "aborted"
        connection.close()
        wait_for(lambda: reload(task).status in TERMINAL, timeout=20, what="abort to finish")
        assert task.status == S.ABORTED
        pids = list(map(int, pidfile.read_text().split()))
        wait_for(lambda: not any(_alive(p) for p in pids), timeout=10, what="group killed")
