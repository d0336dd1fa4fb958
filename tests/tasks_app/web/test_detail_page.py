"""The task page: what it shows, to whom, and the actions it offers and performs."""

import pytest
from django.test import Client

from state_app.stores import TaskStateStore
from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tasks_app.services import subscriber_add

pytestmark = pytest.mark.django_db
S = TaskStatus


def page(uuid) -> str:
    return f"/tasks/{uuid}/"


def test_the_owner_sees_status_progress_payload_parameters_times(login, submit, user):
    task = submit(user, "t.typed", parameters={"count": 3}, task_name="Nightly")
    Task.objects.filter(pk=task.pk).update(
        status=S.IN_PROGRESS, progress_percent=12.5, payload={"rows": 7, "phase": "load"}
    )
    html = login(user).get(page(task.uuid)).content.decode()
    assert "<h1>Nightly</h1>" in html
    assert ">In progress<" in html and 'aria-valuenow="12.5"' in html
    assert "&quot;phase&quot;: &quot;load&quot;" in html  # payload, pretty JSON
    assert "&quot;count&quot;: 3" in html and "&quot;mode&quot;: &quot;fast&quot;" in html
    assert "Started</dt>" in html and "Timeout</dt>" in html


def test_a_finished_task_shows_its_result(login, submit, user):
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(status=S.SUCCESS, result={"total": 42})
    html = login(user).get(page(task.uuid)).content.decode()
    assert 'data-role="result">{\n  &quot;total&quot;: 42\n}</pre>' in html


@pytest.fixture
def failed(submit, user):
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(
        status=S.FAILURE,
        error_message="cannot reach ledger",
        error_type="builtins.ConnectionError",
        error_traceback='Traceback (most recent call last):\n  File "secret_path.py"',
    )
    return task


def test_the_owner_sees_the_error_but_not_the_traceback(login, failed, user):
    html = login(user).get(page(failed.uuid)).content.decode()
    assert "cannot reach ledger" in html and "builtins.ConnectionError" in html
    assert "secret_path.py" not in html and "Traceback" not in html


def test_staff_see_the_traceback_unless_tracebacks_are_off(login, failed, staff, settings):
    assert "secret_path.py" in login(staff).get(page(failed.uuid)).content.decode()
    settings.GTF = {**settings.GTF, "EXPOSE_TRACEBACKS": False}
    assert "secret_path.py" not in login(staff).get(page(failed.uuid)).content.decode()


def test_a_task_the_user_may_not_see_is_a_404_page(login, submit, user, other):
    task = submit(user)
    response = login(other).get(page(task.uuid))
    assert response.status_code == 404
    assert "No task here, or none you may see." in response.content.decode()
    assert task.task_key not in response.content.decode()


@pytest.mark.parametrize("bad", ["not-a-uuid", "12345", "00000000-0000-4000-8000-000000000000"])
def test_a_malformed_or_unknown_uuid_is_the_same_404_page(login, user, bad):
    response = login(user).get(page(bad))
    assert response.status_code == 404
    assert response.templates[0].name == "tasks_app/not_found.html"


def test_anonymous_is_sent_to_login(client, submit, user):
    task = submit(user)
    assert client.get(page(task.uuid))["Location"].startswith("/accounts/login/")


def test_subscribers_and_task_state_are_shown(login, submit, user, other):
    task = submit(user, "t.shared_noop", task_key="s")
    subscriber_add(task=task, user=other)
    TaskStateStore(task.pk).set("cursor", {"offset": 500})
    html = login(user).get(page(task.uuid)).content.decode()
    assert "2 subscribers" in html and "alice" in html and "bob" in html
    assert "<code>cursor</code>" in html and "&quot;offset&quot;: 500" in html


def actions(response) -> dict:
    return {
        "abort": "/abort/" in response.content.decode() and ">Abort<" in response.content.decode(),
        "leave": "/leave/" in response.content.decode(),
        "force": 'name="force" value="1"' in response.content.decode(),
    }


def test_actions_offered_follow_the_abort_rules(login, submit, user, other, staff):
    private = submit(user)
    assert actions(login(user).get(page(private.uuid))) == {
        "abort": True,
        "leave": False,
        "force": False,
    }
    shared = submit(user, "t.shared_noop", task_key="s")
    assert actions(login(user).get(page(shared.uuid)))["abort"]  # the only subscriber
    subscriber_add(task=shared, user=other)
    assert actions(login(user).get(page(shared.uuid))) == {
        "abort": False,
        "leave": True,
        "force": False,
    }
    subscriber_add(task=shared, user=staff)
    assert actions(login(staff).get(page(shared.uuid))) == {
        "abort": False,
        "leave": True,
        "force": True,
    }


def test_a_running_task_without_abort_handler_offers_no_abort(login, submit, user):
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(status=S.IN_PROGRESS, is_abortable=False)
    response = login(user).get(page(task.uuid))
    assert not actions(response)["abort"]
    assert "registered no abort handler" in response.content.decode()


def test_a_finished_shared_task_can_be_left(login, submit, user):
    task = submit(user, "t.shared_noop", task_key="s")
    Task.objects.filter(pk=task.pk).update(status=S.SUCCESS)
    response = login(user).get(page(task.uuid))
    assert actions(response) == {"abort": False, "leave": True, "force": False}
    assert "Leave (remove from my list)" in response.content.decode()


def test_abort_a_pending_task(login, submit, user):
    task = submit(user)
    response = login(user).post(f"/tasks/{task.uuid}/abort/", follow=True)
    task.refresh_from_db()
    assert task.status == S.ABORTED
    assert response.redirect_chain[-1][0] == page(task.uuid)
    assert "Abort requested." in response.content.decode()


def test_abort_a_finished_task_is_a_409_page_saying_why(login, submit, user):
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(status=S.SUCCESS)
    response = login(user).post(f"/tasks/{task.uuid}/abort/")
    assert response.status_code == 409
    assert "The task has already finished." in response.content.decode()


def test_abort_a_running_task_without_handler_is_409(login, submit, user):
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(status=S.IN_PROGRESS, is_abortable=False)
    response = login(user).post(f"/tasks/{task.uuid}/abort/")
    assert response.status_code == 409
    assert "registered no abort handler" in response.content.decode()


def test_abort_of_a_task_the_user_may_not_see_is_404_and_changes_nothing(
    login, submit, user, other
):
    task = submit(user)
    for action in ("abort", "leave"):
        assert login(other).post(f"/tasks/{task.uuid}/{action}/").status_code == 404
    task.refresh_from_db()
    assert task.status == S.PENDING


def test_force_abort_is_for_staff_only(login, submit, user, other, staff):
    task = submit(user, "t.shared_noop", task_key="s")
    subscriber_add(task=task, user=other)
    response = login(user).post(f"/tasks/{task.uuid}/abort/", {"force": "1"})
    assert response.status_code == 403
    assert "may force an abort." in response.content.decode()
    login(staff).post(f"/tasks/{task.uuid}/abort/", {"force": "1"})
    task.refresh_from_db()
    assert task.status == S.ABORTED


def test_abort_by_one_of_several_subscribers_leaves_instead(login, submit, user, other):
    task = submit(user, "t.shared_noop", task_key="s")
    subscriber_add(task=task, user=other)
    response = login(other).post(f"/tasks/{task.uuid}/abort/", follow=True)
    task.refresh_from_db()
    assert task.status == S.PENDING
    assert not TaskSubscriber.objects.filter(task=task, user=other).exists()
    assert "its other subscribers keep it running" in response.content.decode()


def test_leave_a_shared_task(login, submit, user, other):
    task = submit(user, "t.shared_noop", task_key="s")
    subscriber_add(task=task, user=other)
    response = login(other).post(f"/tasks/{task.uuid}/leave/", follow=True)
    assert response.redirect_chain[-1][0] == "/tasks/"
    assert not TaskSubscriber.objects.filter(task=task, user=other).exists()
    assert login(other).get(page(task.uuid)).status_code == 404


def test_the_last_subscriber_of_an_active_task_cannot_leave(login, submit, user):
    task = submit(user, "t.shared_noop", task_key="s")
    response = login(user).post(f"/tasks/{task.uuid}/leave/")
    assert response.status_code == 409
    assert "abort it instead" in response.content.decode()


def test_actions_need_post_and_a_csrf_token(submit, user):
    task = submit(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(f"/tasks/{task.uuid}/abort/").status_code == 405
    assert client.post(f"/tasks/{task.uuid}/abort/").status_code == 403
    task.refresh_from_db()
    assert task.status == S.PENDING
    token = client.get(page(task.uuid)).context["csrf_token"]
    client.post(f"/tasks/{task.uuid}/abort/", {"csrfmiddlewaretoken": str(token)})
    task.refresh_from_db()
    assert task.status == S.ABORTED
