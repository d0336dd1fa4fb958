"""Schedules: validation, next-run computation, firing outcomes, scheduler rows (in-process).

Firing through a real Django-Q2 scheduler is in test_ops_qcluster.py.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django_q.models import Schedule as QSchedule

from tasks_app.exceptions import InvalidInput, ParameterError, StaffRequired, UnknownTaskType
from tasks_app.jsonvalues import utf8_size
from tasks_app.models import Schedule, ScheduleOutcome, Task, TaskStatus
from tasks_app.ops import schedules
from tasks_app.ops import task_types as types
from tasks_app.ops.timetables import cron_next, interval_next
from tasks_app.registry import registry
from tasks_app.services import task_submit
from tests.qcluster import DJANGO_Q_EXECUTOR

pytestmark = pytest.mark.django_db
O = ScheduleOutcome  # noqa: E741
NOW = datetime(2030, 1, 1, 12, 0, 7, tzinfo=UTC)


def create(**values):
    base = {"name": "nightly", "task_type": "t.shared_noop", "kind": "cron", "cron": "0 3 * * *"}
    return schedules.schedule_create(**{**base, **values})


@pytest.fixture
def django_q_executor(settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}


# -- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"cron": "61 * * * *"}, "cron", "'61 * * * *' is not a valid expression"),
        ({"cron": "* * *"}, "cron", "has 3 fields; it needs 5"),
        ({"cron": ""}, "cron", "cron must be a non-empty cron expression"),
        ({"cron": "0,1" + ",2" * 49 + " * * * *"}, "cron", "longer than 100 characters"),
        ({"kind": "interval", "cron": "", "interval_seconds": 5}, "interval_seconds", "between 30"),
        ({"kind": "interval", "cron": "", "interval_seconds": "60"}, "interval_seconds", "whole"),
        ({"kind": "interval", "cron": ""}, "interval_seconds", "needs interval_seconds"),
        ({"kind": "interval", "interval_seconds": 60}, "cron", "does not apply to a interval"),
        ({"kind": "once", "cron": ""}, "run_at", "needs run_at"),
        ({"kind": "once", "cron": "", "run_at": datetime(2030, 1, 1)}, "run_at", "time zone"),
        ({"kind": "weekly"}, "kind", "kind must be one of once, interval, cron"),
        ({"scope": "private"}, "scope", "scope must be shared or system"),
        ({"name": ""}, "name", "1 to 100"),
        ({"task_key": "x" * 300}, "task_key", "longer than 256"),
        ({"enabled": "yes"}, "enabled", "true or false"),
        ({"color": "red"}, "color", "Unknown schedule field(s): color"),
    ],
)
def test_bad_input_names_the_field(values, field, text):
    with pytest.raises(InvalidInput, match=re.escape(text)) as exc:
        create(**values)
    assert exc.value.field == field
    assert not Schedule.objects.exists()


def test_unknown_type_and_bad_parameters_are_refused():
    with pytest.raises(UnknownTaskType, match="'nope'"):
        create(task_type="nope")
    with pytest.raises(ParameterError) as exc:
        create(task_type="t.sleep", parameters={"seconds": "long", "extra": 1})
    assert set(exc.value.errors) == {"seconds", "extra"}


def test_duplicate_name_is_refused():
    create()
    with pytest.raises(InvalidInput, match="A schedule named 'nightly' already exists"):
        create()


def test_only_staff_manage_schedules(user, staff):
    with pytest.raises(StaffRequired):
        create(user=user)
    schedule = create(user=staff)
    assert schedule.created_by == staff
    with pytest.raises(StaffRequired):
        schedules.schedule_update(schedule=schedule, changes={"enabled": False}, user=user)
    with pytest.raises(StaffRequired):
        schedules.schedule_delete(schedule=schedule, user=user)


def test_defaults_key_and_scope():
    schedule = create(task_type="t.system_noop")
    assert schedule.scope == "system" and schedule.effective_task_key == "schedule:nightly"
    assert create(name="other").scope == "shared"


# -- next run -----------------------------------------------------------------------------


def test_cron_next_run_is_computed_in_utc():
    assert cron_next("*/15 * * * *", NOW) == datetime(2030, 1, 1, 12, 15, tzinfo=UTC)
    assert cron_next("0 3 * * 1", NOW) == datetime(2030, 1, 7, 3, 0, tzinfo=UTC)  # a Monday


def test_interval_next_run_stays_on_its_grid():
    anchor = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert interval_next(anchor, 60, anchor - timedelta(seconds=5)) == anchor
    assert interval_next(anchor, 60, anchor) == anchor
    assert interval_next(anchor, 60, NOW) == datetime(2030, 1, 1, 12, 1, tzinfo=UTC)
    assert interval_next(anchor, 60, anchor + timedelta(minutes=10, seconds=1)) == datetime(
        2030, 1, 1, 12, 11, tzinfo=UTC
    )


def test_created_schedules_know_their_next_run():
    cron = create(cron="*/5 * * * *")
    assert cron.next_run_at.minute % 5 == 0 and cron.next_run_at.second == 0
    start = datetime.now(UTC) + timedelta(hours=1)
    once = create(name="once", kind="once", cron="", run_at=start)
    assert once.next_run_at == start
    every = create(name="every", kind="interval", cron="", interval_seconds=90)
    assert timedelta(seconds=85) < every.next_run_at - datetime.now(UTC) <= timedelta(seconds=90)


# -- partial update -------------------------------------------------------------------------


def test_update_changes_only_what_it_names():
    schedule = create(parameters={}, task_key="k")
    schedule = schedules.schedule_update(schedule=schedule, changes={"enabled": False})
    schedule.refresh_from_db()
    assert (schedule.task_type, schedule.cron, schedule.task_key, schedule.enabled) == (
        "t.shared_noop",
        "0 3 * * *",
        "k",
        False,
    )


def test_changing_kind_clears_the_old_kind_fields():
    schedule = create()
    schedule = schedules.schedule_update(
        schedule=schedule, changes={"kind": "interval", "interval_seconds": 120}
    )
    assert schedule.cron == "" and schedule.interval_seconds == 120
    with pytest.raises(InvalidInput, match="interval_seconds must be between"):
        schedules.schedule_update(schedule=schedule, changes={"interval_seconds": 1})
    schedule.refresh_from_db()
    assert schedule.interval_seconds == 120  # a refused change writes nothing


# -- firing --------------------------------------------------------------------------------


def test_fire_submits_then_joins_the_active_run(null_executor):
    schedule = create(task_type="t.sleep", parameters={"seconds": 5})
    assert schedules.schedule_fire(schedule.pk) == O.SUBMITTED
    assert schedules.schedule_fire(schedule.pk) == O.JOINED
    schedule.refresh_from_db()
    task = Task.objects.get()
    assert task.task_key == "schedule:nightly" and task.parameters == {"seconds": 5}
    assert (schedule.submitted_count, schedule.joined_count) == (1, 1)
    assert schedule.last_outcome == O.JOINED and schedule.last_task_uuid == task.uuid
    assert "still active" in schedule.last_message
    assert schedule.last_run_at is not None and schedule.next_run_at > schedule.last_run_at


def test_fire_after_the_run_ended_submits_again(django_capture_on_commit_callbacks):
    schedule = create()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert schedules.schedule_fire(schedule.pk) == O.SUBMITTED
    assert Task.objects.filter(status=TaskStatus.SUCCESS).count() == 2


def test_fire_skips_a_disabled_type_or_schedule(null_executor):
    schedule = create()
    types.task_type_set_enabled(name="t.shared_noop", enabled=False)
    assert schedules.schedule_fire(schedule.pk) == O.SKIPPED_DISABLED
    schedule.refresh_from_db()
    assert schedule.last_message == "Task type 't.shared_noop' is disabled."
    types.task_type_set_enabled(name="t.shared_noop", enabled=True)
    Schedule.objects.filter(pk=schedule.pk).update(enabled=False)
    assert schedules.schedule_fire(schedule.pk) == O.SKIPPED_DISABLED
    schedule.refresh_from_db()
    assert schedule.skipped_count == 2 and not Task.objects.exists()


def test_fire_skips_an_orphan_type_and_works_again_when_registered(null_executor, temporary_type):
    schedule = create(task_type=temporary_type)
    definition = registry.get(temporary_type)
    registry.unregister(temporary_type)
    assert schedules.schedule_fire(schedule.pk) == O.SKIPPED_ORPHAN
    schedule.refresh_from_db()
    assert schedule.last_message == "Task type 'tmp.job' is not registered."
    # An orphan's schedule can still be edited, e.g. disabled.
    schedules.schedule_update(schedule=schedule, changes={"task_key": "k2"})
    registry.register(definition)
    assert schedules.schedule_fire(schedule.pk) == O.SUBMITTED


def test_fire_records_a_refused_submit(null_executor):
    schedule = create(task_type="t.sleep", parameters={"seconds": 1})
    Schedule.objects.filter(pk=schedule.pk).update(parameters={"seconds": "x"})
    assert schedules.schedule_fire(schedule.pk) == O.FAILED
    schedule.refresh_from_db()
    assert schedule.last_message.startswith("seconds: must be") and schedule.failed_count == 1


def test_once_schedule_has_no_next_run_after_firing(null_executor):
    schedule = create(kind="once", cron="", run_at=datetime.now(UTC))
    schedules.schedule_fire(schedule.pk)
    schedule.refresh_from_db()
    assert schedule.next_run_at is None
    later = datetime.now(UTC) + timedelta(hours=1)
    schedule = schedules.schedule_update(schedule=schedule, changes={"run_at": later})
    assert schedule.next_run_at == later  # a new time arms it again


# -- the executor's scheduler rows ---------------------------------------------------------


def test_schedules_become_django_q_schedules(django_q_executor):
    cron = create(cron="*/5 * * * *")
    once = create(name="once", kind="once", cron="", run_at=NOW)
    every = create(name="every", kind="interval", cron="", interval_seconds=150)
    rows = {q.name: q for q in QSchedule.objects.filter(name__startswith="gtf.schedule.")}
    q_cron, q_once, q_every = (rows[f"gtf.schedule.{s.pk}"] for s in (cron, once, every))
    assert (q_cron.schedule_type, q_cron.cron) == (QSchedule.CRON, "*/5 * * * *")
    assert (q_once.schedule_type, q_once.next_run) == (QSchedule.ONCE, NOW)
    assert (q_every.schedule_type, q_every.minutes) == (QSchedule.MINUTES, 3)
    assert q_every.func == "tasks_app.ops.schedules.schedule_fire"
    assert q_every.kwargs == repr({"schedule_id": every.pk})


def test_disable_or_delete_removes_the_django_q_schedule(django_q_executor):
    schedule = create()
    name = f"gtf.schedule.{schedule.pk}"
    schedules.schedule_update(schedule=schedule, changes={"enabled": False})
    assert not QSchedule.objects.filter(name=name).exists()
    schedules.schedule_update(schedule=schedule, changes={"enabled": True})
    assert QSchedule.objects.filter(name=name).exists()
    schedules.schedule_delete(schedule=schedule)
    assert not QSchedule.objects.filter(name=name).exists() and not Schedule.objects.exists()


def test_firing_an_interval_sets_the_exact_next_run(django_q_executor):
    schedule = create(kind="interval", cron="", interval_seconds=45, run_at=NOW)
    schedules.schedule_fire(schedule.pk)
    schedule.refresh_from_db()
    q = QSchedule.objects.get(name=f"gtf.schedule.{schedule.pk}")
    assert q.next_run == schedule.next_run_at
    assert (schedule.next_run_at - NOW).total_seconds() % 45 == 0


def test_install_all_repairs_the_scheduler(django_q_executor):
    schedule = create()
    QSchedule.objects.filter(name=f"gtf.schedule.{schedule.pk}").delete()
    QSchedule.objects.create(name="gtf.schedule.999999", func="x")
    schedules.schedules_install_all()
    names = set(
        QSchedule.objects.filter(name__startswith="gtf.schedule.").values_list("name", flat=True)
    )
    assert names == {f"gtf.schedule.{schedule.pk}"}


# -- text and size of what a schedule stores ----------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"name": "a\x00b"}, "name", "must not contain NUL or other control characters"),
        ({"name": "a\ud800"}, "name", "no lone surrogate characters"),
        ({"task_key": "k\x00"}, "task_key", "must not contain NUL or other control characters"),
        ({"task_key": "\udfff"}, "task_key", "no lone surrogate characters"),
        ({"cron": "0 3 * * \x00"}, "cron", "must not contain NUL or lone surrogate characters"),
        ({"cron": "0 3 * * \ud800"}, "cron", "must not contain NUL or lone surrogate characters"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_naming_the_field(values, field, text):
    with pytest.raises(InvalidInput, match=re.escape(text)) as exc:
        create(**values)
    assert exc.value.field == field
    assert not Schedule.objects.exists()


@pytest.mark.parametrize("marker", ["a\x00", "a\ud800"])
def test_parameters_with_nul_or_lone_surrogates_are_refused(marker):
    with pytest.raises(ParameterError) as exc:
        create(task_type="t.abortable", parameters={"marker": marker})
    assert list(exc.value.errors) == ["marker"]
    assert not Schedule.objects.exists()


def sized(limit: int) -> dict:
    """Parameters of t.abortable whose submit, defaults filled in, is ``limit`` bytes."""
    base = utf8_size({"seconds": 30.0, "marker": ""})
    return {"marker": "x" * (limit - base)}


def test_parameters_over_the_limit_are_refused_at_create_as_submit_would(settings, user):
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 100}
    fits = create(task_type="t.abortable", parameters=sized(100))
    over = {"marker": sized(100)["marker"] + "é"}  # two bytes more
    with pytest.raises(InvalidInput, match="parameters are 102 bytes; the limit is 100") as exc:
        create(name="over", task_type="t.abortable", parameters=over)
    assert exc.value.field == "parameters"
    with pytest.raises(InvalidInput, match="parameters are 102 bytes; the limit is 100"):
        task_submit(task_type="t.abortable", user=user, parameters=over)
    assert list(Schedule.objects.values_list("name", flat=True)) == [fits.name]


def test_a_schedule_at_the_limit_fires(settings, null_executor):
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 100}
    schedule = create(task_type="t.abortable", parameters=sized(100))
    assert schedules.schedule_fire(schedule.pk) == O.SUBMITTED


def test_parameters_over_the_limit_are_refused_at_update(settings):
    schedule = create(task_type="t.abortable", parameters={"marker": "m"})
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 100}
    with pytest.raises(InvalidInput, match="the limit is 100") as exc:
        schedules.schedule_update(schedule=schedule, changes={"parameters": sized(101)})
    assert exc.value.field == "parameters"
    schedule.refresh_from_db()
    assert schedule.parameters == {"marker": "m"}


def test_an_orphan_schedules_parameters_are_still_checked(settings, temporary_type):
    schedule = create(task_type=temporary_type, parameters={"n": 2})
    registry.unregister(temporary_type)
    with pytest.raises(ParameterError) as exc:
        schedules.schedule_update(schedule=schedule, changes={"parameters": {"n": "a\x00"}})
    assert exc.value.errors == {"n": "must not contain the NUL character."}
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 20}
    with pytest.raises(InvalidInput, match="the limit is 20"):
        schedules.schedule_update(schedule=schedule, changes={"parameters": {"n": "x" * 20}})
    schedule.refresh_from_db()
    assert schedule.parameters == {"n": 2}
