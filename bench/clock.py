"""The drain's clock: when the first task started, stamped by the worker that started it.

Every worker process of a bench cluster stamps the wall clock into ``GTF_BENCH_CLOCK`` as it
begins its first task (Django-Q2's ``pre_execute``, the same hook for GTF's tasks and raw
ones); the earliest stamp is the drain's start. Later tasks cost one comparison.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "GTF_BENCH_CLOCK"
_stamped = False


def stamp_first_start(sender: object = None, **kwargs: object) -> None:
    global _stamped
    if _stamped:
        return
    _stamped = True
    stamp = time.time()
    folder = Path(os.environ[ENV])
    # Written aside, then renamed: the observer never reads half a stamp.
    aside = folder / f".start-{os.getpid()}"
    aside.write_text(repr(stamp))
    aside.rename(folder / f"start-{os.getpid()}")


def connect() -> None:
    """Stamp in the worker processes of a cluster started with ``GTF_BENCH_CLOCK`` set."""
    if os.environ.get(ENV):
        from django_q.signals import pre_execute

        pre_execute.connect(stamp_first_start, dispatch_uid="gtf_bench_clock")


def first_start(folder: Path) -> float | None:
    """The earliest stamp in ``folder``, or None before any worker started a task."""
    stamps = [float(p.read_text()) for p in folder.glob("start-*")]
    return min(stamps) if stamps else None
