"""Task types at run time: the mirror table, enable/disable, orphans (in-process parts)."""

import pytest
from django.core.management import call_command

from tasks_app.exceptions import StaffRequired, TaskTypeDisabled, TaskTypeNotFound, UnknownTaskType
from tasks_app.models import Schedule, Task, TaskStatus, TaskType
from tasks_app.ops import task_types as types
from tasks_app.registry import registry
from tasks_app.services import task_submit
from tasks_app.worker.runner import run_task

pytestmark = pytest.mark.django_db
S = TaskStatus


def test_sync_mirrors_every_registered_type():
    TaskType.objects.all().delete()
    report = types.task_types_sync()
    assert set(report.created) == set(registry.names())
    names = set(TaskType.objects.values_list("name", flat=True))
    assert names == set(registry.names())
    assert TaskType.objects.get(name="t.add").last_seen_at is not None
    assert types.task_types_sync().created == []  # idempotent


def test_sync_keeps_the_operator_flag():
    types.task_type_set_enabled(name="t.add", enabled=False)
    types.task_types_sync()
    assert TaskType.objects.get(name="t.add").enabled is False


def test_disabled_type_cannot_be_submitted(user):
    types.task_type_set_enabled(name="t.add", enabled=False)
    with pytest.raises(TaskTypeDisabled, match="Task type 't.add' is disabled"):
        task_submit(task_type="t.add", user=user, parameters={"a": 1})
    assert not Task.objects.exists()
    types.task_type_set_enabled(name="t.add", enabled=True)
    assert task_submit(task_type="t.add", user=user, parameters={"a": 1}).created


def test_pending_task_of_a_type_disabled_after_submit_is_not_started(user, null_executor):
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    types.task_type_set_enabled(name="t.add", enabled=False)
    assert run_task(str(task.uuid)) == S.FAILURE
    task.refresh_from_db()
    assert task.status == S.FAILURE and task.started_at is None and task.result is None
    assert task.error_message == (
        "Task type 't.add' was disabled after this task was submitted; it was not started."
    )
    assert task.dedup_key is None and task.ended_at is not None


def test_enable_disable_needs_staff(user, staff):
    with pytest.raises(StaffRequired):
        types.task_type_set_enabled(name="t.add", enabled=False, user=user)
    row = types.task_type_set_enabled(name="t.add", enabled=False, user=staff)
    assert row.enabled is False and row.updated_by == staff


def test_enable_unknown_type_is_not_found():
    with pytest.raises(TaskTypeNotFound, match="'nope'"):
        types.task_type_set_enabled(name="nope", enabled=False)


@pytest.mark.parametrize("name", ["a\x00b", "t.add\x00", "t.add\ud800", "\udfff"])
def test_a_name_the_table_cannot_hold_is_not_found_before_any_query(
    name, django_assert_num_queries
):
    # PostgreSQL refuses NUL in a query, every database a lone surrogate: never a 500.
    with django_assert_num_queries(0), pytest.raises(TaskTypeNotFound) as exc:
        types.task_type_set_enabled(name=name, enabled=False)
    assert "\\x00" in exc.value.message or "\\ud" in exc.value.message  # escaped, sendable
    with django_assert_num_queries(0), pytest.raises(TaskTypeNotFound):
        types.task_type_get(name=name)


def test_orphans_come_from_table_pending_tasks_and_schedules():
    TaskType.objects.create(name="gone.table")
    Task.objects.create(task_type="gone.task", task_key="k", scope="shared")
    Task.objects.create(task_type="gone.task", task_key="k2", scope="shared")
    Task.objects.create(task_type="gone.done", task_key="k", scope="shared", status=S.SUCCESS)
    Schedule.objects.create(
        name="s", task_type="gone.sched", kind="cron", cron="* * * * *", scope="shared"
    )
    orphans = {o.name: o for o in types.orphans_find()}
    assert set(orphans) == {"gone.table", "gone.task", "gone.sched"}  # finished tasks don't count
    assert orphans["gone.task"].pending_tasks == 2
    assert orphans["gone.sched"].describe() == "gone.sched (1 schedule(s))"


def test_sync_fails_pending_tasks_of_orphan_types():
    orphan = Task.objects.create(task_type="gone.task", task_key="k", scope="shared")
    running = Task.objects.create(
        task_type="gone.task", task_key="r", scope="shared", status=S.IN_PROGRESS
    )
    report = types.task_types_sync()
    assert report.failed_tasks == [str(orphan.uuid)]
    orphan.refresh_from_db()
    assert orphan.status == S.FAILURE
    assert orphan.error_message == "Task type 'gone.task' is not registered."
    running.refresh_from_db()
    assert running.status == S.IN_PROGRESS  # the reaper owns running tasks


def test_check_warns_about_orphans_with_an_id():
    TaskType.objects.create(name="gone.table")
    from django.core.checks import run_checks

    warnings = [m for m in run_checks() if m.id == "gtf.W020"]
    assert [w.obj for w in warnings] == ["gone.table"]
    assert "gone.table (task-type table)" in warnings[0].msg


def test_manage_py_check_lists_orphans(capsys):
    TaskType.objects.create(name="gone.table")
    call_command("check")
    assert "gtf.W020" in capsys.readouterr().err


def test_orphan_cannot_be_submitted_and_works_again_when_registered(staff, temporary_type):
    types.task_type_set_enabled(name=temporary_type, enabled=False)
    definition = registry.get(temporary_type)
    registry.unregister(temporary_type)
    assert [o.name for o in types.orphans_find()] == [temporary_type]
    info = types.task_type_get(name=temporary_type)
    assert info.is_orphan and info.enabled is False
    with pytest.raises(UnknownTaskType):
        task_submit(task_type=temporary_type, user=staff, scope="shared")
    registry.register(definition)
    assert types.orphans_find() == []
    info = types.task_type_get(name=temporary_type)
    assert not info.is_orphan and info.enabled is False  # the flag is the operator's, kept
    types.task_type_set_enabled(name=temporary_type, enabled=True)
    assert task_submit(task_type=temporary_type, user=staff, scope="shared").created


def test_list_merges_registry_and_orphan_rows():
    TaskType.objects.create(name="gone.table", enabled=False)
    infos = {i.name: i for i in types.task_type_list()}
    assert set(registry.names()) < set(infos)
    assert infos["gone.table"].is_orphan and infos["gone.table"].definition is None
    assert infos["t.add"].registered and infos["t.add"].definition.name == "t.add"
