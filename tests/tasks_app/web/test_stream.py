"""The event stream, through Django's ASGI handler: who gets what, resume, disconnect."""

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings

from tasks_app.models import Task, TaskStatus
from tests.tasks_app.web.asgi_driver import events_in, get

pytestmark = pytest.mark.django_db(transaction=True)
S = TaskStatus
URL = "/tasks/events/"


@pytest.fixture
def fast(settings, fresh_feed):
    settings.GTF = {**settings.GTF, "WEB_FEED_INTERVAL": 0.05}
    return fresh_feed


def cookie_for(client, user) -> str:
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def stream(query, cookie, *, until, headers=()):
    return async_to_sync(get)(URL, query=query, cookie=cookie, headers=headers, until=until)


def n_events(n):
    return lambda ex: ex.finished or len(events_in(ex.body)) >= n


def test_wsgi_answers_204_so_the_page_polls(client, submit, user):
    task = submit(user)
    client.force_login(user)
    assert client.get(URL, {"task": str(task.uuid)}).status_code == 204


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "Name the tasks to watch"),
        ("task=nope", "task='nope' is not a uuid."),
        ("&".join(["task=00000000-0000-4000-8000-000000000000"] * 201), "At most 200 tasks"),
    ],
)
def test_bad_requests_are_400_naming_the_problem(client, user, fast, query, problem):
    ex = stream(query, cookie_for(client, user), until=lambda ex: ex.finished)
    assert ex.status == 400 and problem in ex.body


def test_anonymous_gets_403(fast, submit, user):
    task = submit(user)
    ex = stream(f"task={task.uuid}", "", until=lambda ex: ex.finished)
    assert ex.status == 403 and "not_authenticated" in ex.body


def test_the_stream_sends_only_tasks_the_user_may_see(client, fast, submit, user, other):
    mine, theirs = submit(user), submit(other)
    ex = stream(f"task={mine.uuid}&task={theirs.uuid}", cookie_for(client, user), until=n_events(1))
    assert ex.status == 200
    assert ex.headers["content-type"] == "text/event-stream"
    assert ex.headers["cache-control"] == "no-cache"
    assert ex.body.startswith("retry: ")
    assert [e["data"]["uuid"] for e in events_in(ex.body)] == [str(mine.uuid)]
    assert str(theirs.uuid) not in ex.body


def test_changes_arrive_and_the_client_leaving_ends_the_stream(client, fast, submit, user):
    task = submit(user)
    cookie = cookie_for(client, user)

    def progressed(ex):
        events = events_in(ex.body)
        if len(events) == 1:  # the first state arrived: now the worker writes
            Task.objects.filter(pk=task.pk).update(status=S.IN_PROGRESS, progress_percent=50.0)
        return len(events) >= 2

    ex = stream(f"task={task.uuid}", cookie, until=progressed)
    last = events_in(ex.body)[-1]
    assert last["data"]["status"] == S.IN_PROGRESS and last["data"]["progress"]["percent"] == 50
    assert last["id"].startswith(fast.boot + "-")
    assert ex.finished and fast.stream_count == 0  # Django cancelled it; it unsubscribed


def test_last_event_id_resumes_without_repeating(client, fast, submit, user):
    a, b = submit(user), submit(user)
    cookie = cookie_for(client, user)
    query = f"task={a.uuid}&task={b.uuid}"
    first = stream(query, cookie, until=n_events(2))
    last_id = [e["id"] for e in events_in(first.body) if e["id"]][-1]
    Task.objects.filter(pk=b.pk).update(status=S.ABORTED)
    resumed = stream(query, cookie, headers=[("Last-Event-ID", last_id)], until=n_events(1))
    assert [(e["data"]["uuid"], e["data"]["status"]) for e in events_in(resumed.body)] == [
        (str(b.uuid), S.ABORTED)
    ]


def test_the_stream_ends_after_its_lifetime(client, fast, settings, submit, user):
    settings.GTF = {**settings.GTF, "WEB_STREAM_SECONDS": 0.3}
    task = submit(user)
    ex = async_to_sync(get)(
        URL,
        query=f"task={task.uuid}",
        cookie=cookie_for(client, user),
        until=lambda ex: ex.finished,
        disconnect=False,
    )
    assert ex.finished and ex.status == 200
    assert fast.stream_count == 0


def test_stream_off_when_pages_should_not_be_live(client, fast, settings, submit, user):
    settings.GTF = {**settings.GTF, "WEB_LIVE": "poll"}
    task = submit(user)
    ex = stream(f"task={task.uuid}", cookie_for(client, user), until=lambda ex: ex.finished)
    assert ex.status == 204
