"""The admin shows tasks readably and changes them only through the services."""

import pytest
from django.urls import reverse

from tasks_app import lifecycle
from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tasks_app.services import task_submit
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
S = TaskStatus
CHANGELIST = reverse("admin:tasks_app_task_changelist")


@pytest.fixture
def admin_client(client, settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
    client.force_login(StaffFactory(username="root", is_superuser=True))
    return client


def make(user, task_type="t.add", **options):
    options.setdefault("parameters", {"a": 1} if task_type == "t.add" else {})
    return task_submit(task_type=task_type, user=user, **options).task


def change_url(task):
    return reverse("admin:tasks_app_task_change", args=[task.pk])


def test_changelist_shows_badges_and_progress(admin_client, user):
    task = make(user, task_key="visible-key")
    Task.objects.filter(pk=task.pk).update(progress_percent=40.0)
    page = admin_client.get(CHANGELIST).content.decode()
    assert "visible-key" in page
    assert 'class="gtf-badge gtf-pending"' in page
    assert '<progress class="gtf-progress" max="100" value="40"></progress> 40%' in page


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ({"status__exact": "ABORTED"}, "k-done", "k-open"),
        ({"scope__exact": "shared"}, "k-shared", "k-open"),
        ({"task_type": "t.shared_noop"}, "k-shared", "k-open"),
        ({"q": "k-open"}, "k-open", "k-done"),
    ],
)
def test_changelist_filters_and_search(admin_client, user, query, shown, hidden):
    make(user, task_key="k-open")
    done = make(user, task_key="k-done")
    lifecycle.transition(done.pk, current=S.PENDING, target=S.ABORTED)
    make(user, "t.shared_noop", task_key="k-shared")
    page = admin_client.get(CHANGELIST, query).content.decode()
    assert shown in page and hidden not in page


def test_search_by_uuid(admin_client, user):
    task = make(user, task_key="by-uuid")
    make(user, task_key="other")
    page = admin_client.get(CHANGELIST, {"q": str(task.uuid)}).content.decode()
    assert "by-uuid" in page and ">other<" not in page


def test_date_filter(admin_client, user):
    make(user, task_key="today-task")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "created_at__gte" in page  # the date filter is offered


@pytest.fixture
def failed(admin_client, user, settings, django_capture_on_commit_callbacks):
    settings.GTF = {
        **settings.GTF,
        "EXECUTOR": "tasks_app.worker.executors.immediate.ImmediateExecutor",
    }
    with django_capture_on_commit_callbacks(execute=True):
        task = task_submit(task_type="t.fails", user=user, parameters={"source": "dw"}).task
    task.refresh_from_db()
    assert task.status == S.FAILURE
    return task


def test_detail_page_is_readable(admin_client, failed, other):
    page = admin_client.get(change_url(failed)).content.decode()
    assert '<pre class="gtf-json">{\n  &quot;source&quot;: &quot;dw&quot;\n}</pre>' in page
    assert "cannot reach dw" in page and "builtins.ConnectionError" in page
    assert '<pre class="gtf-traceback">' in page and "_helper_that_raises" in page


def test_traceback_hidden_when_setting_off(admin_client, failed, settings):
    settings.GTF = {**settings.GTF, "EXPOSE_TRACEBACKS": False}
    page = admin_client.get(change_url(failed)).content.decode()
    assert "cannot reach dw" in page and "_helper_that_raises" not in page


def test_subscribers_inline(admin_client, user, other):
    task = make(user, "t.shared_noop", task_key="s")
    make(other, "t.shared_noop", task_key="s")
    page = admin_client.get(change_url(task)).content.decode()
    assert "task subscribers" in page.lower() and "alice" in page and "bob" in page


def test_admin_cannot_edit_or_add(admin_client, user):
    task = make(user)
    response = admin_client.post(change_url(task), {"status": "SUCCESS", "task_key": "x"})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).status == S.PENDING
    assert admin_client.get(reverse("admin:tasks_app_task_add")).status_code == 403


def test_abort_selected_goes_through_the_service(admin_client, user, other):
    pending = make(user, task_key="p")
    shared = make(user, "t.shared_noop", task_key="s")
    make(other, "t.shared_noop", task_key="s")  # a second subscriber: force still aborts
    finished = make(user, task_key="f")
    lifecycle.transition(finished.pk, current=S.PENDING, target=S.IN_PROGRESS)
    lifecycle.transition(finished.pk, current=S.IN_PROGRESS, target=S.SUCCESS)
    response = admin_client.post(
        CHANGELIST,
        {"action": "abort_selected", "_selected_action": [pending.pk, shared.pk, finished.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert (
        "Aborted 2 tasks." in text and "Task f not aborted: The task has already finished." in text
    )
    statuses = dict(Task.objects.values_list("task_key", "status"))
    assert statuses == {"p": S.ABORTED, "s": S.ABORTED, "f": S.SUCCESS}
    # the terminal transition freed the dedup slot, as the lifecycle does
    assert Task.objects.get(pk=pending.pk).dedup_key is None


def test_delete_finished_keeps_active_tasks(admin_client, user):
    active = make(user, task_key="active")
    done = make(user, task_key="done")
    lifecycle.transition(done.pk, current=S.PENDING, target=S.ABORTED)
    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_finished", "_selected_action": [active.pk, done.pk]},
        follow=True,
    )
    assert "Deleted 1 finished tasks; kept 1 active ones" in response.content.decode()
    assert list(Task.objects.values_list("task_key", flat=True)) == ["active"]


def test_bulk_delete_of_active_tasks_is_not_offered(admin_client, user):
    task = make(user)
    page = admin_client.get(CHANGELIST).content.decode()
    assert "delete_selected" not in page and "delete_finished" in page
    assert (
        admin_client.get(reverse("admin:tasks_app_task_delete", args=[task.pk])).status_code == 403
    )


def test_staff_without_permissions_cannot_act(client, user, settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
    task = make(user)
    client.force_login(StaffFactory(username="intern"))
    response = client.post(CHANGELIST, {"action": "abort_selected", "_selected_action": [task.pk]})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).status == S.PENDING


def test_subscriber_admin_is_read_only(admin_client, user, other):
    task = make(user, "t.shared_noop", task_key="s")
    make(other, "t.shared_noop", task_key="s")
    page = admin_client.get(reverse("admin:tasks_app_tasksubscriber_changelist"))
    assert page.status_code == 200 and "bob" in page.content.decode()
    sub = TaskSubscriber.objects.get(task=task, user=other)
    delete = reverse("admin:tasks_app_tasksubscriber_delete", args=[sub.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert TaskSubscriber.objects.filter(pk=sub.pk).exists()


def test_subscriber_search_by_the_user_models_username_field(admin_client, user, other):
    # With an email-named user model (no "username" column) this search was a 500.
    task = make(user, "t.shared_noop", task_key="s")
    make(other, "t.shared_noop", task_key="s")
    url = reverse("admin:tasks_app_tasksubscriber_changelist")
    page = admin_client.get(url, {"q": other.get_username()})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [
        TaskSubscriber.objects.get(task=task, user=other)
    ]


@pytest.mark.parametrize("length", [8, 13, 36])
def test_search_by_uuid_prefix_as_the_list_shows_it(admin_client, user, length):
    task = make(user, task_key="by-prefix")
    make(user, task_key="other")
    term = str(task.uuid)[:length]
    response = admin_client.get(CHANGELIST, {"q": term})
    assert list(response.context["cl"].result_list) == [task]
    assert str(task.uuid)[:8] in response.content.decode()  # the column searched by


def test_search_by_prefix_in_capitals_and_without_dashes(admin_client, user):
    task = make(user, task_key="by-prefix")
    term = task.uuid.hex[:12].upper()
    assert list(admin_client.get(CHANGELIST, {"q": term}).context["cl"].result_list) == [task]


def test_change_page_by_uuid(admin_client, user):
    task = make(user, task_key="by-uuid-url")
    by_uuid = reverse("admin:tasks_app_task_change", args=[str(task.uuid)])
    response = admin_client.get(by_uuid)
    assert response.status_code == 200 and "by-uuid-url" in response.content.decode()
    missing = reverse("admin:tasks_app_task_change", args=["8a3c3a4e-5d1e-4a8e-9d0a-000000000000"])
    assert admin_client.get(missing, follow=True).redirect_chain  # "does not exist", as for ids


def test_times_are_shown_to_the_second(admin_client, user):
    from datetime import datetime

    from django.utils import timezone

    task = make(user, task_key="timed")
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.get_current_timezone())
    Task.objects.filter(pk=task.pk).update(created_at=when, started_at=when)
    assert "2026-03-04 05:06:07" in admin_client.get(CHANGELIST).content.decode()
    page = admin_client.get(change_url(task)).content.decode()
    assert page.count("2026-03-04 05:06:07") == 2  # created and started


def finish(task, status=S.SUCCESS):
    lifecycle.advance(task, S.IN_PROGRESS)
    lifecycle.advance(task, status)
    return task


def test_rerun_selected_goes_through_the_service(admin_client, user):
    done = finish(make(user, task_key="done"), S.FAILURE)
    active = make(user, task_key="active")
    response = admin_client.post(
        CHANGELIST,
        {"action": "rerun_selected", "_selected_action": [done.pk, active.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Rerun 1 task." in text
    assert "Task active not rerun: The task is still active" in text
    rerun = Task.objects.get(rerun_of=done)
    assert rerun.status == S.PENDING and rerun.created_by == user and rerun.task_key == "done"
    page = admin_client.get(change_url(rerun)).content.decode()
    assert f'href="{change_url(done)}"' in page  # links back to the task it reruns


def test_rerun_needs_the_change_permission(client, user, settings):
    from django.contrib.auth.models import Permission

    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
    viewer = StaffFactory(username="viewer")
    view = Permission.objects.get(codename="view_task", content_type__app_label="tasks_app")
    viewer.user_permissions.add(view)
    client.force_login(viewer)
    done = finish(make(user))
    page = client.get(CHANGELIST).content.decode()
    assert "rerun_selected" not in page
    client.post(CHANGELIST, {"action": "rerun_selected", "_selected_action": [done.pk]})
    assert not Task.objects.filter(rerun_of=done).exists()


def test_attempts_inline_shows_each_retried_attempt(admin_client, user, settings):
    from tasks_app.worker.runner import run_task

    task = make(user, "t.flaky", parameters={"fail_times": 1})
    run_task(str(task.uuid))
    run_task(str(task.uuid))
    page = admin_client.get(change_url(task)).content.decode()
    assert "earlier attempts (ended in a retry)" in page.lower()
    assert "attempt 1 could not connect" in page and "builtins.ConnectionError" in page
    assert '<pre class="gtf-traceback">' in page
    settings.GTF = {**settings.GTF, "EXPOSE_TRACEBACKS": False}
    page = admin_client.get(change_url(task)).content.decode()
    assert "attempt 1 could not connect" in page and "Traceback (most recent" not in page
