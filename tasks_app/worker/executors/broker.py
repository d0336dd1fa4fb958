"""GTF's Django-Q2 broker (``Q_CLUSTER["broker_class"]``; see :data:`BROKER_CLASS`).

With the ORM broker configured (``Q_CLUSTER["orm"]``), the task table itself is the queue: a
submit is the task's INSERT (it commits or rolls back with the caller's transaction), and the
cluster claims due pending tasks with ``FOR UPDATE SKIP LOCKED``. With Redis, submits push a
message after commit as Django-Q2 does, and the cluster marks each message it takes as claimed.
Either way a claim belongs to a cluster *node*: when the node stops heartbeating, its claimed
tasks (those waiting in its memory when it was killed) go back to the queue.

Everything else Django-Q2 does is unchanged: other functions queued with ``async_task`` go
through Django-Q2's own queue (the ``OrmQ`` table or the Redis list), schedules, workers,
timeouts. The cluster's guard process starts a keeper process (:mod:`tasks_app.worker.keeper`)
that heartbeats the node and recovers lost tasks, so a backlog of long tasks cannot delay it.
"""

from __future__ import annotations

import logging
import os
import queue as stdlib_queue
import socket
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone
from django_q.brokers import Broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.signing import BadSignature, SignedPackage

from tasks_app import queue
from tasks_app.conf import conf
from tasks_app.worker import retrying
from tasks_app.worker.keeper import Keeper

logger = logging.getLogger("tasks_app.worker.executors.broker")
RUNNER = "tasks_app.worker.runner.run_task"
BROKER_CLASS = "tasks_app.worker.executors.broker.GTFBroker"
ACK_PREFIX = "gtf:"


def package(*, task_uuid: str, task_type: str, timeout: int | None) -> str:
    """The signed Django-Q2 message that runs one GTF task."""
    message: dict[str, Any] = {
        "id": uuid.UUID(str(task_uuid)).hex,
        "name": f"gtf:{task_type}:{task_uuid}",
        "func": RUNNER,
        "args": (str(task_uuid),),
        "kwargs": {"task_type": task_type},
        "save": False,
        "ack_failure": True,
        "started": timezone.now(),
    }
    if timeout:
        # Hard backstop: an abortable task ends TIMED_OUT by its own timeout well before this.
        message["timeout"] = int(timeout) + conf.HARD_TIMEOUT_GRACE
    return SignedPackage.dumps(message)


def task_of(payload: Any) -> str | None:
    """The uuid of the GTF task a Django-Q2 message runs, or None for any other message."""
    try:
        message = SignedPackage.loads(payload)
    except (BadSignature, TypeError, ValueError, EOFError):
        return None
    if message.get("func") == RUNNER and message.get("args"):
        return str(message["args"][0])
    return None


class Node:
    """Who this cluster is, for its claims and its heartbeat."""

    def __init__(self) -> None:
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.name = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"[:100]
        self.started_at: datetime = timezone.now()


class GTFBroker(Broker):
    """Picks the database-queue or the Redis flavour from ``Q_CLUSTER`` (``orm`` or not)."""

    node: Node
    _keeper: Any = None
    _keeper_lock = threading.Lock()

    def __new__(cls, list_key: str | None = None) -> GTFBroker:
        if cls is GTFBroker:
            cls = DatabaseQueueBroker if Conf.ORM else RedisQueueBroker
        return super().__new__(cls)

    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=list_key)
        self.node = Node()

    def __getstate__(self) -> Any:
        return super().__getstate__(), self.node

    def __setstate__(self, state: Any) -> None:
        base, self.node = state
        super().__setstate__(base)

    @property
    def claim_limit(self) -> int:
        """How many tasks one dequeue takes: enough to feed every worker."""
        return max(int(Conf.BULK or 1), int(Conf.WORKERS or 1))

    def set_stat(self, key: str, value: str, timeout: int) -> Any:
        # Only the cluster's guard process saves its status, every guard cycle: the place for
        # the keeper, which no backlog can starve.
        self.ensure_keeper()
        return super().set_stat(key, value, timeout)

    def ensure_keeper(self) -> None:
        with self._keeper_lock:
            keeper = GTFBroker._keeper
            if keeper is None or keeper.parent_pid != os.getpid() or not keeper.is_alive():
                GTFBroker._keeper = Keeper(node=self.node)
                GTFBroker._keeper.start()


def _is_gtf(ack_id: Any) -> bool:
    return isinstance(ack_id, str) and ack_id.startswith(ACK_PREFIX)


class DatabaseQueueBroker(GTFBroker, ORM):
    """The task table is the queue; ``OrmQ`` carries everything else."""

    def enqueue(self, task: str) -> Any:
        if task_of(task) is not None:
            # A GTF message is redundant here (the row is the message), e.g. from the outbox.
            return None
        return super().enqueue(task)

    def dequeue(self) -> list[tuple[Any, str]] | None:
        try:
            messages: list[tuple[Any, str]] = [
                (
                    f"{ACK_PREFIX}{c.uuid}",
                    package(task_uuid=c.uuid, task_type=c.task_type, timeout=c.timeout),
                )
                for c in queue.claim(node=self.node.name, limit=self.claim_limit)
            ]
            if len(messages) < self.claim_limit:
                messages += self._dequeue_others()
        except retrying.CONNECTION_ERRORS:
            # The database is away: wait, and ask again on a new connection.
            retrying.drop_connection()
            time.sleep(Conf.POLL)
            return None
        if not messages:
            time.sleep(Conf.POLL)  # an empty queue: spare the database
            return None
        return messages

    def _dequeue_others(self) -> list[tuple[Any, str]]:
        """Django-Q2's own messages (schedules, ``async_task`` of other functions)."""
        now = timezone.now()
        out = []
        for row in self.get_connection().filter(key=self.list_key, lock__lt=now)[: Conf.BULK]:
            taken = (
                self.get_connection()
                .filter(id=row.id, lock=row.lock)
                .update(lock=self.timeout(row))
            )
            if taken:  # else another cluster was faster
                out.append((row.pk, row.payload))
        return out

    # The task row's status is the acknowledgement of a GTF message: nothing to delete.
    def acknowledge(self, task_id: Any) -> Any:
        return None if _is_gtf(task_id) else super().acknowledge(task_id)

    def fail(self, task_id: Any) -> Any:
        return None if _is_gtf(task_id) else super().fail(task_id)

    def delete(self, task_id: Any) -> Any:
        return None if _is_gtf(task_id) else super().delete(task_id)


class Claimer(threading.Thread):
    """Marks the tasks whose messages this node took as claimed, in batches, beside the pusher:
    a claim is only needed if the node dies with the task still in its memory, so handing the
    message to a worker does not wait for it (a task that started first is simply not claimed).
    """

    BATCH = 200
    GATHER = 0.05  # seconds to gather a batch once one uuid is waiting

    def __init__(self, node: str) -> None:
        super().__init__(name="gtf-claimer", daemon=True)
        self.node = node
        self.pid = os.getpid()
        self.waiting: stdlib_queue.SimpleQueue[str] = stdlib_queue.SimpleQueue()

    def run(self) -> None:
        while True:
            batch = [self.waiting.get()]
            deadline = time.monotonic() + self.GATHER
            while len(batch) < self.BATCH and (left := deadline - time.monotonic()) > 0:
                try:
                    batch.append(self.waiting.get(timeout=left))
                except stdlib_queue.Empty:
                    break
            try:
                queue.claim_delivered(node=self.node, uuids=batch)
            except Exception:
                # Unclaimed, these tasks are recovered by the queue check if the node dies.
                retrying.drop_connection()
                logger.warning("Could not mark %d task(s) claimed", len(batch), exc_info=True)


class RedisQueueBroker(GTFBroker, Redis):
    """Django-Q2's Redis list; each GTF message taken is marked claimed by this node."""

    _claimer: Claimer | None = None

    @property
    def claim_limit(self) -> int:
        # Popping is cheap here (claims are written aside): take a few per round trip.
        return 4 * super().claim_limit

    def claimer(self) -> Claimer:
        if self._claimer is None or self._claimer.pid != os.getpid():
            self._claimer = Claimer(self.node.name)
            self._claimer.start()
        return self._claimer

    def dequeue(self) -> list[tuple[Any, str]] | None:
        first = self.connection.blpop(self.list_key, 1)
        if not first:
            return None
        payloads = [first[1]]
        payloads += self.connection.lpop(self.list_key, self.claim_limit - 1) or []
        for uuid_ in filter(None, map(task_of, payloads)):
            self.claimer().waiting.put(uuid_)
        return [(None, p) for p in payloads]
