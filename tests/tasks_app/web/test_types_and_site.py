"""The task types page, the admin link, the landing and login pages, the app's own layout."""

import pytest
from django.test import Client

from tasks_app.models import TaskType

pytestmark = pytest.mark.django_db
URL = "/tasks/types/"


def test_every_user_sees_the_types_with_a_submit_link(login, user):
    html = login(user).get(URL).content.decode()
    assert "<code>t.typed</code>" in html
    assert 'href="/tasks/types/t.typed/submit/"' in html
    assert ">Disable<" not in html and 'href="/admin/"' not in html


def test_staff_switch_types_and_see_the_admin_link(login, staff):
    client = login(staff)
    html = client.get(URL).content.decode()
    assert ">Disable<" in html and 'href="/admin/"' in html
    response = client.post("/tasks/types/t.typed/enabled/", {"enabled": "0"}, follow=True)
    assert "t.typed is disabled" in response.content.decode()
    assert TaskType.objects.get(name="t.typed").enabled is False
    assert 'href="/tasks/types/t.typed/submit/"' not in response.content.decode()
    client.post("/tasks/types/t.typed/enabled/", {"enabled": "1"})
    assert TaskType.objects.get(name="t.typed").enabled is True


def test_non_staff_cannot_switch_a_type(login, user):
    response = login(user).post("/tasks/types/t.typed/enabled/", {"enabled": "0"})
    assert response.status_code == 403
    assert "Enabling or disabling task types needs the permission" in response.content.decode()
    assert not TaskType.objects.filter(name="t.typed", enabled=False).exists()


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [("t.typed", {"enabled": "maybe"}, 400), ("no.such", {"enabled": "0"}, 404)],
)
def test_bad_switch_requests(login, staff, name, data, status):
    assert login(staff).post(f"/tasks/types/{name}/enabled/", data).status_code == status


def test_landing_page_for_visitors_and_task_center_for_users(client, user):
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/accounts/login/?next=/tasks/"' in response.content.decode()
    client.force_login(user)
    assert client.get("/")["Location"] == "/tasks/"


def test_log_in_and_out_through_the_pages(user):
    client = Client(enforce_csrf_checks=False)
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/", {"username": user.get_username(), "password": "pw", "next": "/tasks/"}
    )
    assert response["Location"] == "/tasks/"
    assert client.get("/tasks/").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/"
    assert client.get("/tasks/").status_code == 302


def test_the_app_s_own_layout_when_the_host_overrides_nothing(login, user, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": []}]
    html = login(user).get("/tasks/").content.decode()
    assert 'class="gtf-brand"' in html  # the app's base.html, not the demo's
    assert "/static/tasks_app/gtf.css" in html and "/static/tasks_app/live.js" in html
    assert f"Signed in as <strong>{user.get_username()}</strong>" in html


@pytest.mark.parametrize(
    ("key", "value"),
    [("WEB_LIVE", "sometimes"), ("WEB_FEED_INTERVAL", 0), ("WEB_POLL_INTERVAL", "1s")],
)
def test_bad_page_settings_are_reported_by_the_check(settings, key, value):
    from tasks_app.conf import setting_errors

    settings.GTF = {**settings.GTF, key: value}
    assert key in setting_errors()
