"""Task types the benchmarks run: GTF-tracked ones and a raw Django-Q2 function."""

from __future__ import annotations

import os
import time

from tasks_app import TaskContext, task

MARK_DIR = os.environ.get("GTF_BENCH_MARKS", "/tmp")


def raw_noop() -> None:
    """The Django-Q2 baseline: a plain function enqueued with ``async_task``."""
    return None


@task(name="bench.noop", scope="private")
def noop() -> None:
    return None


@task(name="bench.abortable", scope="private", timeout=600, abortable=True)
def abortable(ctx: TaskContext, marker: str) -> None:
    def handler() -> None:
        # First thing the handler does: stamp the wall clock for the benchmark to read.
        stamp = time.time()
        with open(os.path.join(MARK_DIR, f"{marker}.abort"), "w") as fh:
            fh.write(repr(stamp))

    ctx.on_abort(handler)
    with open(os.path.join(MARK_DIR, f"{marker}.started"), "w") as fh:
        fh.write("1")
    while not ctx.wait_for_abort(1.0):
        pass


@task(name="bench.shared", scope="shared")
def shared_noop() -> None:
    return None


def django_noop() -> None:
    """A no-op of Django's standard tasks API, enqueued through GTFBackend."""
    return None


def _standard_task_decorator():
    """Django's ``task`` decorator: core on Django 6, the backport on 5.2, or None without
    either (a plain ``.[dev]`` install on Django 5.2); only the enqueue bench needs it."""
    try:
        from django.tasks import task
    except ImportError:
        try:
            from django_tasks import task
        except ImportError:
            return None
    return task


_decorator = _standard_task_decorator()
# Keeps its name (and so its task type, bench.tasks.django_noop) when the API is there.
django_noop = _decorator()(django_noop) if _decorator is not None else None
