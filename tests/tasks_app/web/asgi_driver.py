"""Drive Django's ASGI application in-process, as an ASGI server would, with a disconnect."""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application


@dataclass
class Exchange:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    finished: bool = False
    """The application returned (the response ended)."""


async def get(path, *, query="", cookie="", headers=(), until, timeout=10.0, disconnect=True):
    """GET ``path``; read until ``until(exchange)`` is true, then (with ``disconnect``) go away
    like a closed browser tab and wait for the application to return."""
    app = get_asgi_application()
    gone = asyncio.Event()
    exchange = Exchange()
    changed = asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent_request = False

    async def receive():
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
            exchange.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            exchange.body += message.get("body", b"").decode()
        changed.set()

    async def run():
        await app(scope, receive, send)
        exchange.finished = True
        changed.set()

    # A context of its own, as a server gives each connection: Django's connections are
    # context-local, and the test's own queries must not share the request's connection.
    task = asyncio.create_task(run(), context=contextvars.Context())
    try:
        async with asyncio.timeout(timeout):
            # ``until`` may touch the database (a test playing the worker): not in the loop.
            while True:
                changed.clear()  # before looking, so nothing sent meanwhile is missed
                if await sync_to_async(until)(exchange):
                    break
                await changed.wait()
            if disconnect:
                gone.set()
            await task
    except TimeoutError:
        task.cancel()
        raise AssertionError(f"No answer in {timeout} s; got {exchange}") from None
    return exchange


def events_in(body: str) -> list[dict]:
    """The ``task`` events of an SSE body, each as ``{"id": ..., "data": {...}}``."""
    import json

    out = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if lines.get("event") == "task":
            out.append({"id": lines.get("id"), "data": json.loads(lines["data"])})
    return out
