"""Admin for task types and schedules: changes go through the services."""

import html

import pytest

from tasks_app.models import Schedule, TaskType
from tasks_app.ops.task_types import task_types_sync

pytestmark = pytest.mark.django_db
TYPES = "/admin/tasks_app/tasktype/"
SCHEDULES = "/admin/tasks_app/schedule/"


@pytest.fixture(autouse=True)
def synced():
    task_types_sync()


def test_type_list_flags_orphans(admin_client_su):
    TaskType.objects.create(name="gone.table")
    page = admin_client_su.get(TYPES).content.decode()
    assert "gone.table" in page and "t.add" in page
    orphan = admin_client_su.get(f"{TYPES}{TaskType.objects.get(name='gone.table').pk}/change/")
    assert 'alt="False"' in orphan.content.decode()  # "registered" is shown False


def test_disable_and_enable_with_actions(admin_client_su, superuser):
    row = TaskType.objects.get(name="t.add")
    admin_client_su.post(TYPES, {"action": "disable_types", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.enabled is False and row.updated_by == superuser
    admin_client_su.post(TYPES, {"action": "enable_types", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.enabled is True


def test_disable_in_the_change_form(admin_client_su, superuser):
    row = TaskType.objects.get(name="t.add")
    response = admin_client_su.post(f"{TYPES}{row.pk}/change/", {"name": "other"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.enabled is False and row.name == "t.add"  # name is read-only
    assert row.updated_by == superuser


def test_types_cannot_be_added(admin_client_su):
    assert admin_client_su.get(f"{TYPES}add/").status_code == 403


def test_non_staff_cannot_reach_the_admin(client, user):
    client.force_login(user)
    assert client.get(TYPES).status_code == 302  # to the login page


def form(**values):
    data = {
        "name": "nightly",
        "task_type": "t.shared_noop",
        "kind": "cron",
        "cron": "0 3 * * *",
        "parameters": "{}",
        "task_key": "",
        "scope": "shared",
        "enabled": "on",
        "interval_seconds": "",
        "run_at_0": "",
        "run_at_1": "",
    }
    data.update(values)
    return data


def test_schedule_add_change_delete(admin_client_su, superuser):
    response = admin_client_su.post(f"{SCHEDULES}add/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = Schedule.objects.get()
    assert schedule.created_by == superuser and schedule.next_run_at is not None
    response = admin_client_su.post(
        f"{SCHEDULES}{schedule.pk}/change/",
        form(kind="interval", cron="", interval_seconds="120", **{"enabled": ""}),
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.kind, schedule.interval_seconds, schedule.enabled) == ("interval", 120, False)
    response = admin_client_su.post(f"{SCHEDULES}{schedule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"cron": "99 * * * *"}, "cron", "is not a valid expression"),
        (
            {"kind": "interval", "cron": "", "interval_seconds": "5"},
            "interval_seconds",
            "between 30",
        ),
        ({"task_type": "nope"}, "task_type", "Unknown task type"),
        ({"parameters": '{"x": 1}'}, "parameters", "unknown parameter"),
        ({"scope": "private"}, "scope", "scope must be shared or system"),
    ],
)
def test_schedule_form_shows_service_errors(admin_client_su, values, field, text):
    response = admin_client_su.post(f"{SCHEDULES}add/", form(**values))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert text in " ".join(errors[field])
    assert not Schedule.objects.exists()


def test_only_orphan_rows_can_be_deleted(admin_client_su):
    registered = TaskType.objects.get(name="t.add")
    orphan = TaskType.objects.create(name="gone.table")
    assert admin_client_su.get(f"{TYPES}{registered.pk}/delete/").status_code == 403
    response = admin_client_su.post(f"{TYPES}{orphan.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TaskType.objects.filter(name="gone.table").exists()
    assert TaskType.objects.filter(name="t.add").exists()


@pytest.mark.parametrize(
    ("parameters", "text"),
    [
        ('{"marker": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper than 256 levels"),
        ('{"marker": ' + "[" * 200 + "]" * 200 + "}", "nested deeper than 32 levels"),
        ('{"marker": "a\\ud800"}', "no lone surrogate characters"),
        ('{"marker": "a\\u0000"}', "must not contain the NUL character"),
        ('{"\\udfff": 1}', "must be valid Unicode text"),
        ('{"marker": NaN}', "is not a JSON value"),
        ('{"marker": ', "Not JSON"),
    ],
)
def test_schedule_form_refuses_unfit_parameters_and_shows_them_as_typed(
    admin_client_su, parameters, text
):
    response = admin_client_su.post(
        f"{SCHEDULES}add/", form(task_type="t.abortable", parameters=parameters)
    )
    assert response.status_code == 200
    assert text in " ".join(response.context["adminform"].form.errors["parameters"])
    # The text as typed, not re-encoded from what it parsed to.
    assert html.escape(parameters[:40]) in response.content.decode()
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tasks_app/task/?status__exact=%00",
        "/admin/tasks_app/task/?task_type=a%00b",
        "/admin/tasks_app/task/?q=%00",
        "/admin/tasks_app/tasksubscriber/?q=%00",
        "/admin/tasks_app/tasktype/?q=%00",
        "/admin/tasks_app/schedule/?task_type=%00",
        "/admin/tasks_app/schedule/?kind__exact=%00",
        "/admin/state_app/taskstate/?q=%00",
        "/admin/state_app/assetstate/?asset=%00",
    ],
)
def test_a_filter_with_nul_returns_to_the_unfiltered_list(admin_client_su, url):
    # As for an unknown lookup; PostgreSQL would refuse the query (a DataError, a 500).
    response = admin_client_su.get(url)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
