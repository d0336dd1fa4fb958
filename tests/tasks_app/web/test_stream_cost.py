"""What open event streams cost the database: one read per interval for all of them, none
while their tasks are finished, and no connection per client (PostgreSQL, live server)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tasks_app.models import Task, TaskStatus
from tasks_app.web.feed import ChangeFeed
from tests.liveserver import uvicorn_server

pytestmark = pytest.mark.django_db(transaction=True)
INTERVAL = 0.1


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def reads_while_watching(feed, loop, tasks, *, streams: int, seconds: float) -> int:
    subs = [feed.subscribe({t.pk: str(t.uuid) for t in tasks}, loop=loop) for _ in range(streams)]
    time.sleep(0.2)  # the first read
    before = feed.stats.reads
    time.sleep(seconds)
    for sub in subs:
        feed.unsubscribe(sub)
    return feed.stats.reads - before


def test_reads_per_second_do_not_grow_with_the_number_of_streams(settings, loop, submit, user):
    settings.GTF = {**settings.GTF, "WEB_FEED_INTERVAL": INTERVAL}
    task = submit(user)  # active, unchanging: what an idle page watches
    feed = ChangeFeed()
    try:
        one = reads_while_watching(feed, loop, [task], streams=1, seconds=1.0)
        fifty = reads_while_watching(feed, loop, [task], streams=50, seconds=1.0)
    finally:
        feed.stop()
    # About one read per interval (10 in a second), however many streams watch.
    assert 3 <= one <= 12
    assert 3 <= fifty <= 12


def test_finished_tasks_cost_no_reads(settings, loop, submit, user):
    settings.GTF = {**settings.GTF, "WEB_FEED_INTERVAL": INTERVAL}
    task = submit(user)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.SUCCESS)
    feed = ChangeFeed()
    try:
        assert reads_while_watching(feed, loop, [task], streams=20, seconds=1.0) == 0
    finally:
        feed.stop()


def open_stream(base: str, query: str, cookie: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    request = (
        f"GET /tasks/events/?{query} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    )
    sock.sendall(request.encode())
    received = b""
    while b"event: task" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"stream closed early: {received!r}"
        received += chunk
    assert b" 200 " in received.split(b"\r\n", 1)[0]
    return sock


def server_connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cur.fetchone()[0]


@pytest.mark.postgres
def test_idle_streams_hold_no_connection_per_client(tmp_path, client, submit, user):
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    active = submit(user)
    finished = submit(user)
    Task.objects.filter(pk=finished.pk).update(status=TaskStatus.SUCCESS)
    with uvicorn_server(log=tmp_path / "uvicorn.log", events_dir=tmp_path) as base:
        streams = [open_stream(base, f"task={finished.uuid}", cookie) for _ in range(10)]
        time.sleep(1.5)
        assert server_connections() == 0  # nothing can change: nothing is read
        streams += [open_stream(base, f"task={active.uuid}", cookie) for _ in range(10)]
        time.sleep(1.5)
        assert server_connections() == 1  # the feed's one, for the whole process
        for sock in streams:
            sock.close()
