"""The event stream of the task pages: Server-Sent Events from the process's change feed.

``GET events/?task=<uuid>&task=<uuid>…`` streams a ``task`` event whenever one of those
tasks (among those the user may see) changes. Served over ASGI only: under WSGI a stream
would hold a worker thread per open page, so it answers 204 and the page polls instead.

Access is checked when the stream opens and again every ``RECHECK_SECONDS``: a stream whose
user logged out (session flushed or gone), was deactivated, or may no longer see one of its
tasks (left it, lost its subscription) ends with an ``end`` event naming why.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from tasks_app.conf import conf
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import Task
from tasks_app.selectors import parse_uuid
from tasks_app.web.feed import ChangeFeed, Subscription, change_feed

MAX_TASKS = 200
# Milliseconds the browser waits before it reconnects; a comment line every KEEPALIVE
# seconds keeps proxies from closing a quiet stream and finds dead connections.
RETRY_MS = 1000
KEEPALIVE = 15.0
# Seconds between two checks that the user is still signed in and may see every watched task.
RECHECK_SECONDS = 10.0
# Why a stream ended early: the ``reason`` of its ``end`` event.
SIGNED_OUT = "signed_out"
ACCESS_LOST = "access_lost"
UNAVAILABLE = "unavailable"

logger = logging.getLogger("tasks_app.web.stream")


def is_streaming_server(request) -> bool:
    return isinstance(request, ASGIRequest)


def _visible_tasks(request, uuids) -> dict[int, str] | None:
    """Task id -> uuid of the requested tasks the user may see; None for no active user.

    Runs in the request's thread, whose connection it closes: the stream must not keep
    a connection for as long as the page stays open.
    """
    try:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return None
        rows = Task.objects.visible_to(user).filter(uuid__in=uuids).values_list("id", "uuid")
        return {task_id: str(uuid) for task_id, uuid in rows}
    finally:
        connection.close()


def _user_now(request):
    """The request's user as its session says now: anonymous once the session is flushed or
    gone (logout), or its password changed (the session's auth hash no longer matches)."""
    session = getattr(request, "session", None)
    key = session.session_key if session is not None else None
    if key is None:  # signed in by other means than a session: read the same user again
        user = request.user
        if not user.is_authenticated:
            return user
        return auth.get_user_model()._default_manager.filter(pk=user.pk).first() or AnonymousUser()
    probe = HttpRequest()
    probe.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    return auth.get_user(probe)


def _recheck(request, task_ids: list[int]) -> str:
    """Why the stream must end now, or "" while its user may go on watching every task."""
    try:
        user = _user_now(request)
        if not (user.is_authenticated and user.is_active):
            return SIGNED_OUT
        visible = Task.objects.visible_to(user).filter(pk__in=task_ids).values_list("id", flat=True)
        return "" if set(visible) == set(task_ids) else ACCESS_LOST
    except Exception:
        # Fail closed: a stream whose access cannot be checked ends; the browser reconnects.
        logger.warning("Event stream access re-check failed", exc_info=True)
        return UNAVAILABLE
    finally:
        connection.close()


def _parse(request) -> tuple[list, str | None]:
    values = request.GET.getlist("task")
    if not values:
        return [], "Name the tasks to watch: ?task=<uuid>&task=<uuid>."
    if len(values) > MAX_TASKS:
        return [], f"At most {MAX_TASKS} tasks per stream, got {len(values)}."
    uuids = []
    for value in values:
        try:
            uuids.append(parse_uuid(value))
        except TaskNotFound:
            return [], f"task={value!r} is not a uuid."
    return uuids, None


@require_GET
async def task_events(request):
    if not is_streaming_server(request) or conf.WEB_LIVE != "auto":
        # 204 tells EventSource not to reconnect; the page polls instead.
        return HttpResponse(status=204)
    uuids, problem = _parse(request)
    if problem:
        return JsonResponse({"detail": problem, "code": "invalid", "field": "task"}, status=400)
    tasks = await sync_to_async(_visible_tasks)(request, uuids)
    if tasks is None:
        detail = "Authentication credentials were not provided."
        return JsonResponse({"detail": detail, "code": "not_authenticated"}, status=403)
    feed = change_feed()
    sub = feed.subscribe(
        tasks, loop=asyncio.get_running_loop(), last_event_id=request.headers.get("Last-Event-ID")
    )
    ids = list(tasks)

    async def recheck() -> str:
        return await sync_to_async(_recheck)(request, ids)

    response = StreamingHttpResponse(
        events(
            feed,
            sub,
            seconds=float(conf.WEB_STREAM_SECONDS),
            recheck=recheck,
            every=RECHECK_SECONDS,
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def format_batch(feed: ChangeFeed, batch: list[tuple[int, dict]]) -> str:
    """SSE text for a batch of changes; only the last event carries the id, so a browser's
    ``Last-Event-ID`` never claims a batch it received only in part."""
    lines = []
    for n, (seq, event) in enumerate(batch):
        lines.append("event: task\n")
        if n == len(batch) - 1:
            lines.append(f"id: {feed.event_id(seq)}\n")
        lines.append(f"data: {json.dumps(event, separators=(',', ':'))}\n\n")
    return "".join(lines)


def format_end(reason: str) -> str:
    return f"event: end\ndata: {json.dumps({'reason': reason})}\n\n"


async def events(
    feed: ChangeFeed,
    sub: Subscription,
    *,
    seconds: float,
    recheck: Callable[[], Awaitable[str]] | None = None,
    every: float = RECHECK_SECONDS,
) -> AsyncIterator[str]:
    """The stream's body, until ``seconds`` pass, ``recheck`` names a reason to end (asked
    every ``every`` seconds), or the client goes (Django cancels us)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    next_check = loop.time() + every if recheck is not None else float("inf")
    last_sent = loop.time()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while (left := deadline - loop.time()) > 0:
            if recheck is not None and loop.time() >= next_check:
                reason = await recheck()
                if reason:
                    yield format_end(reason)
                    return
                next_check = loop.time() + every
            wait = min(KEEPALIVE - (loop.time() - last_sent), left, next_check - loop.time())
            try:
                await asyncio.wait_for(sub.ready.wait(), timeout=max(wait, 0))
            except TimeoutError:
                if loop.time() - last_sent >= KEEPALIVE:
                    last_sent = loop.time()
                    yield ": keep-alive\n\n"
                continue
            batch = sub.take()
            if batch:
                last_sent = loop.time()
                yield format_batch(feed, batch)
    finally:
        feed.unsubscribe(sub)
