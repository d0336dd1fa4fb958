"""Task functions written against Django's standard tasks API (``django.tasks`` on Django 6, the
backport on 5.2), run by GTF through ``tasks_app.backends.GTFBackend``. The first group mirrors
the functions of Django's own backend tests; the rest exercise what GTF adds."""

from __future__ import annotations

import time
from datetime import datetime

from tasks_app import Backoff, get_context
from tests.testapp.tasks import record

try:
    from django.tasks import TaskContext, task
except ImportError:  # Django 5.2: the backport
    from django_tasks import TaskContext, task


@task()
def noop_task(*args: tuple, **kwargs: dict) -> None:
    return None


@task
def noop_task_from_bare_decorator(*args: tuple, **kwargs: dict) -> None:
    return None


@task()
async def noop_task_async(*args: tuple, **kwargs: dict) -> None:
    return None


@task()
def calculate_meaning_of_life() -> int:
    return 42


@task()
def failing_task_value_error() -> None:
    raise ValueError("This task failed due to ValueError")


@task()
def complex_exception() -> None:
    raise ValueError(ValueError("This task failed"))


@task()
def complex_return_value() -> dict:
    return {"when": datetime(2020, 1, 1)}


@task()
def echo(value, *, label: str = "x") -> dict:
    return {"value": value, "label": label}


@task(takes_context=True)
def get_task_id(context) -> str:
    return context.task_result.id


@task(takes_context=True)
def check_context(context, attempt: int) -> None:
    assert isinstance(context, TaskContext)
    assert context.attempt == attempt


@task(takes_context=True)
async def async_context_id(context) -> str:
    return context.task_result.id


# -- what GTF adds ------------------------------------------------------------------------------
@task(type_name="dt.progress")
def with_gtf_context(steps: int = 3) -> str:
    ctx = get_context()
    for i in range(steps):
        ctx.update(progress=(i + 1, steps))
    return str(ctx.uuid)


@task(task_key="report:{report_id}", scope="shared")
def keyed_report(report_id: int, fmt: str = "csv") -> str:
    return f"{report_id}.{fmt}"


class Flaky(Exception):
    pass


@task(retries=3, retry_on=(Flaky,), backoff=0)
def fails_then_succeeds(marker: str, failures: int) -> int:
    """Fails ``failures`` times (counted in the events file ``marker``), then succeeds."""
    record(marker, str(time.time()))
    attempt = get_context().attempt
    if attempt <= failures:
        raise Flaky(f"attempt {attempt} failed")
    return attempt


@task(retries=2, backoff=0)
def always_fails(marker: str = "always") -> None:
    record(marker, str(time.time()))
    raise Flaky(f"attempt {get_context().attempt} failed")


@task(retries=2, retry_on=(Flaky,), backoff=0)
def fails_for_good() -> None:
    raise KeyError("not retried: not a Flaky")


# -- for real clusters: each start is recorded in the events file named by ``marker`` --------
@task()
def slow_step(marker: str, seconds: float = 1.0) -> str:
    record(marker, f"{get_context().attempt} {time.time()}")
    time.sleep(seconds)
    return "done"


@task(retries=2, retry_on=(Flaky,), backoff=Backoff(base=1.0, factor=2.0, jitter=False))
def fails_with_backoff(marker: str) -> None:
    """Fails every attempt: retried after 1 s, then after 2 s, then FAILED."""
    record(marker, f"{get_context().attempt} {time.time()}")
    raise Flaky(f"attempt {get_context().attempt} failed")


@task(retries=3, retry_on=(Flaky,), backoff=3)
def fails_slowly(marker: str) -> None:
    """Fails every attempt, 3 s apart: time to abort it while it waits."""
    record(marker, f"{get_context().attempt} {time.time()}")
    raise Flaky(f"attempt {get_context().attempt} failed")


# -- scripted outcomes, for the property test of the retry budget ----------------------------
def _scripted(script: list[str]) -> int:
    """Attempt n does what ``script[n - 1]`` says (past its end: succeed)."""
    ctx = get_context()
    step = script[ctx.attempt - 1] if ctx.attempt <= len(script) else "ok"
    if step == "flaky":
        raise Flaky(f"attempt {ctx.attempt}")
    if step == "retry":
        raise ctx.retry(f"attempt {ctx.attempt} asked again", after=0)
    if step == "fatal":
        raise KeyError(f"attempt {ctx.attempt}")
    return ctx.attempt


@task(retries=0, retry_on=(Flaky,), backoff=0)
def scripted_0(script: list[str]) -> int:
    return _scripted(script)


@task(retries=1, retry_on=(Flaky,), backoff=0)
def scripted_1(script: list[str]) -> int:
    return _scripted(script)


@task(retries=3, retry_on=(Flaky,), backoff=0)
def scripted_3(script: list[str]) -> int:
    return _scripted(script)
