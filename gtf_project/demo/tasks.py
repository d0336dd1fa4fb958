"""Example task types used by the README and the demo."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import time

from tasks_app import TaskContext, task


@task(name="demo.export_csv", scope="private", timeout=600)
def export_csv(ctx: TaskContext, rows: int = 500, delay: float = 0.01) -> dict:
    """Build a CSV of ``rows`` random orders, reporting progress; returns a summary."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["order_id", "amount"])
    total = 0.0
    for i in range(rows):
        amount = round(random.uniform(1, 500), 2)
        writer.writerow([i + 1, amount])
        total += amount
        ctx.update(progress=(i + 1, rows), payload={"rows_written": i + 1})
        time.sleep(delay)
    return {"rows": rows, "total_amount": round(total, 2), "bytes": len(buffer.getvalue())}


@task(name="demo.rebuild_index", scope="shared", timeout=3600, abortable=True)
def rebuild_index(ctx: TaskContext, steps: int = 60, step_seconds: float = 1.0) -> dict:
    """A long shared job that stops cleanly when aborted (it waits on ``wait_for_abort``)."""
    ctx.on_cleanup(lambda: ctx.update(payload={"cleaned_up": True}))
    for step in range(steps):
        if ctx.wait_for_abort(step_seconds):
            return {"stopped_at": step}
        ctx.update(progress=(step + 1, steps))
    return {"steps": steps}


@task(name="demo.flaky_import", scope="private", timeout=60)
def flaky_import(source: str = "s3://bucket/orders.csv") -> None:
    """Always fails, to show how errors and tracebacks are reported."""
    raise ConnectionError(f"Could not reach {source}")


@task(name="demo.async_report", scope="shared", timeout=300, abortable=True)
async def async_report(ctx: TaskContext, seconds: float = 5.0) -> dict:
    """An async task; aborting it cancels the coroutine."""
    steps = max(int(seconds * 10), 1)
    for i in range(steps):
        await asyncio.sleep(0.1)
        ctx.update(progress=(i + 1, steps))
    return {"seconds": seconds}
