"""Task types the test suite submits (also run by real qcluster workers)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Literal

from django.db import connection

from tasks_app import TaskContext, get_context, task

EVENTS_DIR = os.environ.get("GTF_TEST_EVENTS", "")


def record(name: str, text: str = "") -> None:
    """Append an event line to a file the test reads (works across processes)."""
    if EVENTS_DIR:
        with open(os.path.join(EVENTS_DIR, name), "a") as fh:
            fh.write(text + "\n")


@task(name="t.add", scope="private")
def add(a: int, b: int = 1) -> int:
    return a + b


@task(name="t.shared_noop", scope="shared")
def shared_noop() -> None:
    return None


@task(name="t.system_noop", scope="system")
def system_noop() -> None:
    return None


@task(name="t.typed", scope="private")
def typed(
    ctx: TaskContext,
    count: int,
    ratio: float = 0.5,
    name: str = "x",
    flag: bool = False,
    tags: list[str] | None = None,
    options: dict | None = None,
    mode: Literal["fast", "slow"] = "fast",
) -> dict:
    return {"count": count, "ratio": ratio, "ctx_is_context": isinstance(ctx, TaskContext)}


@task(name="t.injected_any_name", scope="private")
def injected_any_name(whatever: TaskContext, n: int = 1) -> dict:
    return {"same": whatever is get_context(), "uuid": str(whatever.uuid), "n": n}


class Unserialisable:
    def __repr__(self) -> str:
        return "<Unserialisable>"


@task(name="t.odd_result", scope="private")
def odd_result() -> dict:
    return {"ok": 1, "obj": Unserialisable(), "nan": float("nan")}


def _helper_that_raises(source: str) -> None:
    raise ConnectionError(f"cannot reach {source}")


@task(name="t.fails", scope="private")
def fails(source: str = "db") -> None:
    try:
        raise KeyError("handled earlier")
    except KeyError:
        pass
    _helper_that_raises(source)


@task(name="t.progress", scope="private")
def progress(ctx: TaskContext, steps: int = 5) -> int:
    for i in range(steps):
        ctx.update(progress=(i + 1, steps), payload={f"step{i}": i})
    return steps


@task(name="t.sleep", scope="shared", timeout=60)
def sleep(ctx: TaskContext, seconds: float = 1.0) -> str:
    record("started", str(ctx.uuid))
    time.sleep(seconds)
    record("finished", str(ctx.uuid))
    return "slept"


@task(name="t.abortable", scope="shared", timeout=120, abortable=True)
def abortable(ctx: TaskContext, seconds: float = 30.0, marker: str = "") -> str:
    ctx.on_abort(lambda: record("abort_handler", f"{marker} {time.time()}"))
    ctx.on_cleanup(lambda: record("cleanup", f"first {marker}"))
    ctx.on_cleanup(lambda: record("cleanup", f"second {marker}"))
    record("started", marker)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ctx.raise_if_aborting()
        time.sleep(0.05)
    return "done"


@task(name="t.abortable_timeout", scope="private", timeout=2, abortable=True)
def abortable_timeout(ctx: TaskContext) -> None:
    ctx.on_abort(lambda: record("abort_handler", "timeout"))
    while not ctx.wait_for_abort(0.05):
        pass
    ctx.raise_if_aborting()


@task(name="t.stubborn_timeout", scope="private", timeout=2)
def stubborn_timeout(seconds: float = 30.0) -> None:
    time.sleep(seconds)


@task(name="t.async_abortable", scope="shared", timeout=120, abortable=True)
async def async_abortable(ctx: TaskContext, marker: str = "") -> str:
    ctx.on_abort(lambda: record("abort_handler", marker))
    record("started", marker)
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        record("cancelled", marker)
        raise
    return "never"


@task(name="t.async_add", scope="private")
async def async_add(ctx: TaskContext, a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@task(name="t.handler_fails", scope="private", timeout=60)
def handler_fails(ctx: TaskContext) -> str:
    ctx.on_cleanup(lambda: record("cleanup", "ok-1"))
    ctx.on_cleanup(lambda: 1 / 0)
    ctx.on_cleanup(lambda: record("cleanup", "ok-3"))
    return "body done"


@task(name="t.kill_self", scope="private", timeout=120, max_retries=0)
def kill_self(ctx: TaskContext, seconds: float = 60.0) -> None:
    record("pid", str(os.getpid()))
    time.sleep(seconds)


@task(name="t.sigkill_me", scope="private", timeout=120)
def sigkill_me() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@task(name="t.flaky", scope="private", retries=2, backoff=0)
def flaky(ctx: TaskContext, fail_times: int = 1) -> int:
    """Fails its first ``fail_times`` attempts, then returns the attempt that succeeded."""
    if ctx.attempt <= fail_times:
        raise ConnectionError(f"attempt {ctx.attempt} could not connect")
    return ctx.attempt


@task(name="t.secret", scope="private", permission="auth.view_group")
def secret() -> str:
    return "secret"


@task(name="t.flaky_backoff", scope="private", retries=2, backoff=0.5, retry_on=(ConnectionError,))
def flaky_backoff(ctx: TaskContext, fail_times: int = 1, error: str = "connection") -> int:
    """Fails its first ``fail_times`` attempts, then returns the attempt number."""
    if ctx.attempt <= fail_times:
        if error == "value":
            raise ValueError(f"bad value on attempt {ctx.attempt}")
        raise ConnectionError(f"unreachable on attempt {ctx.attempt}")
    return ctx.attempt


@task(name="t.asks_retry", scope="private", retries=1)
def asks_retry(ctx: TaskContext, after: float = 7.0) -> str:
    raise ctx.retry(f"not ready on attempt {ctx.attempt}", after=after)


def _logged(ctx: TaskContext, seconds: float, updates: int) -> str:
    # The fault suite counts runs from this log: a file survives database and broker outages.
    # The last field: whether this worker logs queries (DEBUG), which keeps GTF's hot
    # statements off their prepared path.
    logged = int(connection.queries_logged)
    record("runs", f"start {ctx.uuid} {ctx.attempt} {time.time()} {logged}")
    steps = max(updates, 1)
    for i in range(steps):
        time.sleep(seconds / steps)
        if updates:
            ctx.update(progress=(i + 1, steps), payload={"step": i + 1})
    record("runs", f"end {ctx.uuid} {ctx.attempt} {time.time()}")
    return "done"


@task(name="t.logged", scope="private", timeout=120, retries=1, backoff=0)
def logged(ctx: TaskContext, seconds: float = 3.0, updates: int = 0) -> str:
    """Sleeps, reporting progress; a killed attempt is tried once more."""
    return _logged(ctx, seconds, updates)


@task(name="t.logged_once", scope="private", timeout=120)
def logged_once(ctx: TaskContext, seconds: float = 3.0, updates: int = 0) -> str:
    """Like t.logged, without retries: a killed attempt ends the task."""
    return _logged(ctx, seconds, updates)


def _paced(ctx: TaskContext, steps: int, seconds: float) -> int:
    for i in range(steps):
        if ctx.wait_for_abort(seconds):
            return i
        ctx.update(progress=(i + 1, steps), payload={"step": i + 1})
        record("progress", f"{ctx.uuid} {i + 1} {time.time()}")  # when the write landed
    return steps


@task(name="t.paced", scope="private", timeout=300, abortable=True)
def paced(ctx: TaskContext, steps: int = 100, seconds: float = 0.2) -> int:
    """Progress every ``seconds``, stopping on abort; the write times go to the events file."""
    return _paced(ctx, steps, seconds)


@task(name="t.paced_shared", scope="shared", timeout=300, abortable=True)
def paced_shared(ctx: TaskContext, steps: int = 100, seconds: float = 0.2) -> int:
    return _paced(ctx, steps, seconds)


# Functions of Django's standard tasks API register as GTF types when their module is imported:
# import them wherever this module is (test processes and qcluster workers alike).
from tests.testapp import django_api  # noqa: E402, F401


@task(name="t.exits", scope="private")
def exits() -> None:
    sys.exit(3)


@task(name="t.state_writes", scope="private", timeout=120)
def state_writes(ctx: TaskContext, seconds: float = 4.0, every: float = 0.2) -> int:
    """Writes and reads its state every ``every`` seconds for ``seconds``; returns the count."""
    record("runs", f"start {ctx.uuid} {ctx.attempt} {time.time()}")
    n = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        n += 1
        ctx.state.set("n", n)
        if ctx.state.get("n") != n:
            raise RuntimeError(f"state read back {ctx.state.get('n')!r}, wrote {n}")
        time.sleep(every)
    record("runs", f"end {ctx.uuid} {ctx.attempt} {time.time()}")
    return n
