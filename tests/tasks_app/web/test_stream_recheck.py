"""An open event stream checks its user again every RECHECK_SECONDS: logging out, leaving a
shared task or losing access ends it, through Django's ASGI handler."""

import json
import time

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tasks_app.models import Task, TaskScope, TaskStatus
from tasks_app.services import task_unsubscribe
from tasks_app.web import stream as stream_module
from tests.tasks_app.web.asgi_driver import events_in, get

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/tasks/events/"
INTERVAL = 0.3


@pytest.fixture
def fast(settings, fresh_feed, monkeypatch):
    settings.GTF = {**settings.GTF, "WEB_FEED_INTERVAL": 0.05}
    monkeypatch.setattr(stream_module, "RECHECK_SECONDS", INTERVAL)
    return fresh_feed


def cookie_for(client, user) -> str:
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def end_reason(body: str) -> str | None:
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "end":
            return json.loads(lines["data"])["reason"]
    return None


def watch_until_ended(query, cookie, change, *, timeout=10.0):
    """Open a stream; once its first event arrived, run ``change()``; return the exchange and
    the seconds from the change to the end of the stream."""
    changed_at = []

    def step(ex):
        if ex.finished:
            return True
        if not changed_at and events_in(ex.body):
            change()
            changed_at.append(time.monotonic())
        return False

    ex = async_to_sync(get)(
        URL, query=query, cookie=cookie, until=step, disconnect=False, timeout=timeout
    )
    return ex, time.monotonic() - changed_at[0]


def test_logging_out_ends_the_stream(client, fast, submit, user):
    task = submit(user)
    ex, took = watch_until_ended(f"task={task.uuid}", cookie_for(client, user), client.logout)
    assert ex.finished and end_reason(ex.body) == stream_module.SIGNED_OUT
    assert took < INTERVAL + 2.0
    assert fast.stream_count == 0


def test_logging_out_ends_the_stream_within_the_default_interval(
    client, settings, fresh_feed, submit, user
):
    # The shipped interval, not a lowered one: a logout ends the stream within it.
    settings.GTF = {**settings.GTF, "WEB_FEED_INTERVAL": 0.05}
    task = submit(user)
    limit = stream_module.RECHECK_SECONDS
    ex, took = watch_until_ended(
        f"task={task.uuid}", cookie_for(client, user), client.logout, timeout=limit + 10
    )
    assert end_reason(ex.body) == stream_module.SIGNED_OUT
    assert took < 15.0, f"ended {took:.1f} s after the logout (interval {limit} s)"


def test_a_deactivated_user_s_stream_ends(client, fast, submit, user):
    task = submit(user)

    def deactivate():
        type(user).objects.filter(pk=user.pk).update(is_active=False)

    ex, took = watch_until_ended(f"task={task.uuid}", cookie_for(client, user), deactivate)
    assert end_reason(ex.body) == stream_module.SIGNED_OUT and took < INTERVAL + 2.0


def test_leaving_a_shared_task_ends_the_stream(client, fast, submit, user, other):
    task = submit(user, scope=TaskScope.SHARED, task_key="nightly")
    joined = submit(other, scope=TaskScope.SHARED, task_key="nightly")  # other joins it
    assert joined.pk == task.pk

    def leave():
        task_unsubscribe(task_uuid=task.uuid, user=other)

    ex, took = watch_until_ended(f"task={task.uuid}", cookie_for(client, other), leave)
    assert end_reason(ex.body) == stream_module.ACCESS_LOST and took < INTERVAL + 2.0
    assert fast.stream_count == 0


def test_losing_staff_ends_a_stream_of_others_tasks(client, fast, submit, user, staff):
    theirs = submit(user)

    def demote():
        type(staff).objects.filter(pk=staff.pk).update(is_staff=False)

    ex, took = watch_until_ended(f"task={theirs.uuid}", cookie_for(client, staff), demote)
    assert end_reason(ex.body) == stream_module.ACCESS_LOST and took < INTERVAL + 2.0


def test_a_user_who_may_still_see_keeps_the_stream_until_its_lifetime(
    client, fast, settings, submit, user
):
    settings.GTF = {**settings.GTF, "WEB_STREAM_SECONDS": 6 * INTERVAL}
    task = submit(user)
    progressed = []

    def step(ex):
        if ex.finished:
            return True
        if events_in(ex.body) and not progressed:
            progressed.append(True)
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
        return False

    started = time.monotonic()
    ex = async_to_sync(get)(
        URL,
        query=f"task={task.uuid}",
        cookie=cookie_for(client, user),
        until=step,
        disconnect=False,
    )
    lasted = time.monotonic() - started
    assert end_reason(ex.body) is None  # several re-checks passed; the lifetime ended it
    assert lasted >= 6 * INTERVAL
    assert [e["data"]["status"] for e in events_in(ex.body)][-1] == TaskStatus.IN_PROGRESS


def test_a_user_signed_in_without_a_session_is_read_again(submit, user):
    # A host's own authentication middleware: no session key to look up, the user is reloaded.
    task = submit(user)
    request = HttpRequest()
    request.user = SimpleLazyObject(lambda: type(user).objects.get(pk=user.pk))
    assert stream_module._recheck(request, [task.pk]) == ""
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert stream_module._recheck(request, [task.pk]) == stream_module.SIGNED_OUT
