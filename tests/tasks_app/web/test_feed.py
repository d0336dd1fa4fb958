"""The change feed: one read per interval for every stream, changes only, resume by id."""

import asyncio

import pytest

from tasks_app.models import Task, TaskStatus
from tasks_app.web.feed import ChangeFeed

pytestmark = pytest.mark.django_db
S = TaskStatus


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def feed():
    return ChangeFeed()


def watch(feed, loop, *tasks, last_event_id=None):
    return feed.subscribe(
        {t.pk: str(t.uuid) for t in tasks}, loop=loop, last_event_id=last_event_id, start=False
    )


def statuses(sub) -> list[tuple[str, str]]:
    return [(e["uuid"], e["status"]) for _, e in sub.take()]


def test_one_read_serves_every_stream(feed, loop, submit, user, other):
    a, b = submit(user), submit(other)
    subs = [watch(feed, loop, a), watch(feed, loop, a, b), watch(feed, loop, b)]
    assert feed.tick() is True
    assert feed.stats.reads == 1
    assert [statuses(s) for s in subs] == [
        [(str(a.uuid), S.PENDING)],
        [(str(a.uuid), S.PENDING), (str(b.uuid), S.PENDING)],
        [(str(b.uuid), S.PENDING)],
    ]


def test_only_changes_are_sent(feed, loop, submit, user):
    task = submit(user)
    sub = watch(feed, loop, task)
    feed.tick()
    sub.take()
    feed.tick()
    assert sub.take() == []
    Task.objects.filter(pk=task.pk).update(
        status=S.IN_PROGRESS, progress_current=3, progress_total=10, progress_percent=30.0
    )
    feed.tick()
    [(_, event)] = sub.take()
    assert event["status"] == S.IN_PROGRESS and event["status_label"] == "In progress"
    assert event["progress"] == {"current": 3.0, "total": 10.0, "percent": 30.0}
    Task.objects.filter(pk=task.pk).update(payload={"rows": 5})  # payload alone is a change
    feed.tick()
    assert [e["payload"] for _, e in sub.take()] == [{"rows": 5}]


def test_a_slow_stream_gets_only_the_newest_state(feed, loop, submit, user):
    task = submit(user)
    sub = watch(feed, loop, task)
    for percent in (10.0, 20.0, 30.0):
        Task.objects.filter(pk=task.pk).update(progress_percent=percent)
        feed.tick()
    assert [e["progress"]["percent"] for _, e in sub.take()] == [30.0]


def test_finished_tasks_are_read_no_more_and_idle_costs_nothing(feed, loop, submit, user):
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(status=S.SUCCESS)
    sub = watch(feed, loop, task)
    assert feed.tick() is True  # its first (and last) read
    assert sub.take()[0][1]["finished"] is True
    reads = feed.stats.reads
    assert feed.tick() is False
    feed.unsubscribe(sub)
    assert feed.tick() is False
    assert feed.stats.reads == reads


def test_a_new_stream_gets_the_known_state_without_a_read(feed, loop, submit, user):
    task = submit(user)
    watch(feed, loop, task)
    feed.tick()
    reads = feed.stats.reads
    late = watch(feed, loop, task)
    assert statuses(late) == [(str(task.uuid), S.PENDING)]
    assert feed.stats.reads == reads


def test_resume_sends_only_what_changed_after_the_last_event_id(feed, loop, submit, user):
    a, b = submit(user), submit(user)
    first = watch(feed, loop, a, b)
    feed.tick()
    seen = first.take()
    last_id = feed.event_id(max(seq for seq, _ in seen))
    feed.unsubscribe(first)
    Task.objects.filter(pk=b.pk).update(status=S.IN_PROGRESS)
    feed.tick()  # both still watched: they linger after their stream closed
    again = watch(feed, loop, a, b, last_event_id=last_id)
    assert statuses(again) == [(str(b.uuid), S.IN_PROGRESS)]


@pytest.mark.parametrize("last_event_id", ["", "garbage", "feedfeed-1", None])
def test_an_unknown_last_event_id_gets_every_state(feed, loop, submit, user, last_event_id):
    a, b = submit(user), submit(user)
    watch(feed, loop, a, b)
    feed.tick()
    again = watch(feed, loop, a, b, last_event_id=last_event_id)
    assert len(again.take()) == 2


def test_a_deleted_task_is_announced_once(feed, loop, submit, user):
    task = submit(user)
    sub = watch(feed, loop, task)
    feed.tick()
    sub.take()
    Task.objects.filter(pk=task.pk).delete()
    feed.tick()
    gone = {"uuid": str(task.uuid), "deleted": True, "finished": True}
    assert [e for _, e in sub.take()] == [gone]
    assert feed.tick() is False


def test_tasks_without_streams_are_forgotten_after_the_linger(loop, submit, user):
    feed = ChangeFeed(linger=0.0)
    task = submit(user)
    sub = watch(feed, loop, task)
    feed.tick()
    feed.unsubscribe(sub)
    assert feed.tick() is False  # forgotten: no read
    assert feed.stream_count == 0
