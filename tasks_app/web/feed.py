"""One change feed per server process: every open event stream is served by one reader.

The reader thread reads the watched tasks that can still change with one query per
``WEB_FEED_INTERVAL`` for all streams together, compares each row with what it last saw,
and hands the changed ones to the streams that watch them. It holds the process's only
feed connection while some watched task is active and closes it as soon as none is, so an
idle stream costs no query and no connection.

Each change gets the feed's sequence number; a stream's event id is ``<boot>-<seq>``, so a
browser that reconnects with ``Last-Event-ID`` gets only what changed since, from the
same process (another process, or a restarted one, sends every task's current state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from tasks_app.conf import conf
from tasks_app.models import TERMINAL_STATUSES, Task, TaskStatus

logger = logging.getLogger("tasks_app.web.feed")

FIELDS = (
    "id",
    "uuid",
    "status",
    "progress_current",
    "progress_total",
    "progress_percent",
    "payload",
    "is_abortable",
    "started_at",
    "ended_at",
)
# SQLite allows 32766 variables per query, older builds 999: stay well below.
CHUNK = 500
# Seconds a task stays watched after its last stream closed, so a reconnect can resume.
LINGER = 10.0
STATUS_LABELS = dict(TaskStatus.choices)


def event_of(row: dict[str, Any]) -> dict[str, Any]:
    """What a page needs to redraw one task: the JSON of an SSE ``task`` event."""
    started, ended = row["started_at"], row["ended_at"]
    return {
        "uuid": str(row["uuid"]),
        "status": row["status"],
        "status_label": str(STATUS_LABELS.get(row["status"], row["status"])),
        "finished": row["status"] in TERMINAL_STATUSES,
        "progress": {
            "current": row["progress_current"],
            "total": row["progress_total"],
            "percent": row["progress_percent"],
        },
        "payload": row["payload"],
        "is_abortable": row["is_abortable"],
        "started_at": started.isoformat() if started else None,
        "ended_at": ended.isoformat() if ended else None,
        "duration_seconds": (ended - started).total_seconds() if started and ended else None,
    }


class Subscription:
    """What one stream watches, and the changes waiting to be sent to it (latest per task)."""

    def __init__(self, tasks: dict[int, str], loop: asyncio.AbstractEventLoop) -> None:
        self.tasks = dict(tasks)
        """Task id -> uuid, all visible to the stream's user."""
        self.loop = loop
        self.ready = asyncio.Event()
        self._pending: dict[int, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def offer(self, task_id: int, seq: int, event: dict[str, Any]) -> None:
        """Called by the feed (any thread): keep the newest state, wake the stream."""
        with self._lock:
            self._pending[task_id] = (seq, event)
        # A closed loop means the stream is ending: its finally-clause unsubscribes it.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.ready.set)

    def take(self) -> list[tuple[int, dict[str, Any]]]:
        """The waiting changes, oldest first; the stream awaits ``ready`` before calling."""
        self.ready.clear()
        with self._lock:
            pending, self._pending = self._pending, {}
        return sorted(pending.values(), key=lambda item: item[0])


@dataclass
class Tracked:
    uuid: str
    event: dict[str, Any] | None = None
    """The last state read (None until the first read)."""
    seq: int = 0
    """Feed sequence number of the last change."""
    streams: int = 0
    left_at: float | None = None
    """When the last stream watching it closed (monotonic)."""

    @property
    def settled(self) -> bool:
        return self.event is not None and self.event["finished"]


@dataclass
class FeedStats:
    reads: int = 0
    """Queries run by the feed since it started."""
    events: int = 0
    """Changes handed to streams."""
    started: float = field(default_factory=time.monotonic)


class ChangeFeed:
    """The process's change feed; :func:`change_feed` returns the shared instance."""

    def __init__(self, *, linger: float = LINGER) -> None:
        self.linger = linger
        self.boot = secrets.token_hex(4)
        self.seq = 0
        self.stats = FeedStats()
        self._tracked: dict[int, Tracked] = {}
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- streams --------------------------------------------------------------------
    def subscribe(
        self,
        tasks: dict[int, str],
        *,
        loop: asyncio.AbstractEventLoop,
        last_event_id: str | None = None,
        start: bool = True,
    ) -> Subscription:
        """Watch ``tasks`` (id -> uuid, already checked visible) for one stream.

        Queues the current state of each task the stream has not seen: all of them, or with
        a ``last_event_id`` of this process, those that changed after it.
        """
        since = self.resume_point(last_event_id)
        sub = Subscription(tasks, loop)
        unread = False
        with self._lock:
            for task_id, uuid in sub.tasks.items():
                tracked = self._tracked.setdefault(task_id, Tracked(uuid=uuid))
                tracked.streams += 1
                tracked.left_at = None
                if tracked.event is None:
                    unread = True  # its first read goes to every stream watching it
                elif since is None or tracked.seq > since:
                    sub.offer(task_id, tracked.seq, tracked.event)
            self._subs.add(sub)
        if start:
            self._ensure_thread()
            if unread:
                self._wake.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        now = time.monotonic()
        with self._lock:
            if sub not in self._subs:
                return
            self._subs.discard(sub)
            for task_id in sub.tasks:
                tracked = self._tracked.get(task_id)
                if tracked is not None:
                    tracked.streams -= 1
                    if tracked.streams <= 0:
                        tracked.left_at = now

    def resume_point(self, last_event_id: str | None) -> int | None:
        """The sequence number a reconnecting stream saw, if it saw it from this process."""
        boot, sep, seq = (last_event_id or "").strip().partition("-")
        if sep and boot == self.boot and seq.isdigit() and int(seq) <= self.seq:
            return int(seq)
        return None

    def event_id(self, seq: int) -> str:
        return f"{self.boot}-{seq}"

    @property
    def stream_count(self) -> int:
        with self._lock:
            return len(self._subs)

    # -- reading ----------------------------------------------------------------------
    def tick(self) -> bool:
        """One read of every watched task that can still change; False if none needed it."""
        now = time.monotonic()
        with self._lock:
            for task_id in [
                i
                for i, t in self._tracked.items()
                if t.streams <= 0 and t.left_at is not None and now - t.left_at > self.linger
            ]:
                del self._tracked[task_id]
            ids = [i for i, t in self._tracked.items() if not t.settled]
        if not ids:
            return False
        rows: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows.update((r["id"], r) for r in Task.objects.filter(pk__in=chunk).values(*FIELDS))
            self.stats.reads += 1
        self._publish(ids, rows)
        return True

    def _publish(self, ids: list[int], rows: dict[int, dict[str, Any]]) -> None:
        with self._lock:
            seq = self.seq + 1
            changed: dict[int, dict[str, Any]] = {}
            for task_id in ids:
                tracked = self._tracked.get(task_id)
                if tracked is None:
                    continue
                row = rows.get(task_id)
                if row is None:  # deleted (pruned): say so once, then forget it
                    event = {"uuid": tracked.uuid, "deleted": True, "finished": True}
                else:
                    event = event_of(row)
                if event != tracked.event:
                    tracked.event, tracked.seq = event, seq
                    changed[task_id] = event
            if not changed:
                return
            self.seq = seq
            self.stats.events += len(changed)
            for sub in self._subs:
                for task_id, event in changed.items():  # in watch order, not set order
                    if task_id in sub.tasks:
                        sub.offer(task_id, seq, event)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="gtf-feed", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """End the reader thread (tests; a server process simply exits)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopping:
            try:
                busy = self.tick()
            except Exception:
                logger.exception("Change feed read failed; trying again", extra={"action": "feed"})
                busy = False
            if not busy:
                # Nothing to read: hold no connection while streams wait.
                connection.close()
            self._wake.wait(max(float(conf.WEB_FEED_INTERVAL), 0.05))
            self._wake.clear()
        connection.close()


_feed: ChangeFeed | None = None
_feed_lock = threading.Lock()


def change_feed() -> ChangeFeed:
    """The process's feed, made on first use."""
    global _feed
    with _feed_lock:
        if _feed is None:
            _feed = ChangeFeed()
        return _feed
