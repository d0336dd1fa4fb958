"""Task pages answer a 503 page while the database cannot be reached; any other database error
is Django's 500 with its traceback logged."""

import logging

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.test import Client

from tasks_app.db_errors import database_unreachable
from tasks_app.models import Task
from tests.database_states import column_renamed, database_refused
from tests.tasks_app.web.asgi_driver import get

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_a_refused_database_answers_the_503_page(signed_in, caplog):
    with database_refused(), caplog.at_level(logging.WARNING, "tasks_app.web"):
        page = signed_in.get("/tasks/")
    assert page.status_code == 503 and page["Retry-After"]
    assert "cannot be reached" in page.content.decode()
    assert [r.levelname for r in caplog.records if r.name == "tasks_app.web"] == ["WARNING"]
    assert signed_in.get("/tasks/").status_code == 200


def test_the_event_stream_answers_503_too(client, fresh_feed, submit, user):
    task = submit(user)
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    with database_refused():
        ex = async_to_sync(get)(
            "/tasks/events/", query=f"task={task.uuid}", cookie=cookie, until=lambda e: e.finished
        )
    assert ex.status == 503 and ex.headers["retry-after"]


def test_a_missing_column_is_a_500_page_with_the_traceback_logged(signed_in, submit, user, caplog):
    task = submit(user)
    with column_renamed(Task, "status"), caplog.at_level(logging.ERROR, "django.request"):
        page = signed_in.get(f"/tasks/{task.uuid}/")
    assert page.status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None and not database_unreachable(record.exc_info[1])
    assert "status" in str(record.exc_info[1])
