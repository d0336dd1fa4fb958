"""Submit forms made from a type's parameters; errors shown on the fields they concern."""

from html import unescape

import pytest
from django.test import Client

from tasks_app.models import Task, TaskType
from tasks_app.services import task_submit

pytestmark = pytest.mark.django_db
URL = "/tasks/types/t.typed/submit/"


def test_fields_follow_the_parameter_schema(login, user):
    response = login(user).get(URL)
    assert response.status_code == 200
    form = response.context["parameters_form"]
    assert list(form.fields) == ["count", "ratio", "name", "flag", "tags", "options", "mode"]
    html = response.content.decode()
    assert '<input type="number" name="p-count"' in html and "required" in html
    assert 'name="p-ratio" value="0.5" step="any"' in html
    assert '<input type="checkbox" name="p-flag"' in html
    assert '<option value="&quot;fast&quot;" selected>fast</option>' in html
    assert '<textarea name="p-tags"' in html
    assert "default: &quot;x&quot;" in html  # the default, said in the help text
    assert 'name="scope"' in html and 'value="system"' not in html  # not for non-staff


def test_submit_converts_each_field_to_its_json_type(login, user, null_executor):
    response = login(user).post(
        URL,
        {
            "p-count": "3",
            "p-ratio": "0.25",
            "p-name": "",
            "p-flag": "on",
            "p-tags": '["a", "b"]',
            "p-mode": '"slow"',
            "task_key": "k1",
            "task_name": "From the form",
            "scope": "private",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.uuid}/"
    assert task.parameters == {
        "count": 3,
        "ratio": 0.25,
        "name": "x",
        "flag": True,
        "tags": ["a", "b"],
        "options": None,
        "mode": "slow",
    }
    assert (task.task_key, task.task_name, task.created_by) == ("k1", "From the form", user)


def test_form_errors_are_shown_in_place_with_400(login, user, null_executor):
    response = login(user).post(URL, {"p-count": "many", "p-tags": "[1,", "scope": "private"})
    assert response.status_code == 400
    form = response.context["parameters_form"]
    assert form.errors["count"] == ["Enter a whole number."]
    assert "tags" in form.errors
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "Enter a whole number." in html
    assert not Task.objects.exists()


def test_the_service_s_parameter_errors_land_on_their_fields(login, user, null_executor):
    response = login(user).post(URL, {"p-count": "1", "p-tags": '{"a": 1}', "scope": "private"})
    assert response.status_code == 400
    assert response.context["parameters_form"].errors["tags"] == [
        "must be array or null, got object."
    ]


def test_an_option_the_service_refuses_lands_on_its_field(login, user, null_executor):
    response = login(user).post(URL, {"p-count": "1", "task_key": "bad\x01key", "scope": "private"})
    assert response.status_code == 400
    assert "control characters" in response.context["options_form"].errors["task_key"][0]


def test_a_required_parameter_left_empty(login, user, null_executor):
    response = login(user).post(URL, {"scope": "private"})
    assert response.status_code == 400
    assert response.context["parameters_form"].errors["count"] == ["This field is required."]


def test_non_staff_cannot_pick_the_system_scope(login, user, staff, null_executor):
    response = login(user).post(URL, {"p-count": "1", "scope": "system"})
    assert response.status_code == 400
    assert "scope" in response.context["options_form"].errors
    assert 'value="system"' in login(staff).get(URL).content.decode()


def test_joining_an_active_task_says_so_and_goes_to_it(login, user, other, null_executor):
    first = task_submit(task_type="t.shared_noop", user=other, task_key="nightly").task
    response = login(user).post(
        "/tasks/types/t.shared_noop/submit/",
        {"task_key": "nightly", "scope": "shared"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/tasks/{first.uuid}/"
    assert "you joined it instead of starting another" in response.content.decode()
    assert Task.objects.count() == 1


def test_a_disabled_type_is_refused_with_409(login, user, null_executor):
    TaskType.objects.update_or_create(name="t.typed", defaults={"enabled": False})
    client = login(user)
    assert "This task type is disabled" in client.get(URL).content.decode()
    response = client.post(URL, {"p-count": "1", "scope": "private"})
    assert response.status_code == 409
    assert "Task type 't.typed' is disabled." in unescape(response.content.decode())


def test_a_missing_permission_is_refused_with_403(login, user, null_executor):
    response = login(user).post("/tasks/types/t.secret/submit/", {"scope": "private"})
    assert response.status_code == 403
    assert "requires the permission 'auth.view_group'" in unescape(response.content.decode())


def test_an_unknown_type_is_404(login, user):
    assert login(user).get("/tasks/types/no.such/submit/").status_code == 404


def test_submit_needs_login_and_csrf(client, user, null_executor):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(URL, {"p-count": "1", "scope": "private"}).status_code == 403
    assert not Task.objects.exists()
