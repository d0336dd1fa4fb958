"""Real task functions run by the runner use the state API (sync, async, injected stores)."""

import pytest

from state_app.stores import AssetStores, TaskStateStore
from tasks_app import TaskContext, register
from tasks_app.registry import registry
from tasks_app.services import task_submit
from tasks_app.worker.runner import run_task
from tests.executors import NullExecutor  # noqa: F401  (named in settings below)
from tests.state_app.conftest import context_for

pytestmark = pytest.mark.django_db


def counts_runs(ctx: TaskContext) -> dict:
    runs = ctx.state.update("runs", lambda n: n + 1, default=0)
    ctx.assets["demo.orders"].set("watermark", {"run": runs, "by": str(ctx.uuid)})
    return {"runs": runs, "job": ctx.state.get("job", None)}


async def async_counts(ctx: TaskContext) -> dict:
    # Sync queries are refused inside an event loop; the stores use the context's DB thread.
    ctx.state.set("cursor", [1, 2])
    return {"cursor": ctx.state.get("cursor"), "items": ctx.state.items()}


def injected(state: TaskStateStore, assets: AssetStores) -> int:
    state.set("via", "injection")
    return assets["demo.x"].set("k", 1).version


@pytest.fixture(autouse=True)
def task_types():
    names = {"state.counts": counts_runs, "state.async": async_counts, "state.injected": injected}
    for name, func in names.items():
        register(func, name=name, scope="private")
    yield
    for name in names:
        registry.unregister(name)


@pytest.fixture
def submit(user, settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
    return lambda name: task_submit(task_type=name, user=user, parameters={}).task


def test_state_survives_a_retry_of_the_same_task(submit):
    task = submit("state.counts")
    context_for(task).state.set("job", "ext-7")
    assert run_task(str(task.uuid)) == "SUCCESS"
    task.refresh_from_db()
    assert task.result == {"runs": 1, "job": "ext-7"}
    # A retry runs the same row again (the reaper requeues it as PENDING).
    type(task).objects.filter(pk=task.pk).update(status="PENDING")
    assert run_task(str(task.uuid)) == "SUCCESS"
    task.refresh_from_db()
    assert task.result == {"runs": 2, "job": "ext-7"} and task.attempt == 2
    watermark = context_for(task).assets["demo.orders"].get_entry("watermark")
    assert watermark.value == {"run": 2, "by": str(task.uuid)}
    assert watermark.updated_by_task == task.uuid


@pytest.mark.django_db(transaction=True)  # the task's DB thread has its own connection
def test_async_task_uses_state(submit):
    task = submit("state.async")
    assert run_task(str(task.uuid)) == "SUCCESS"
    task.refresh_from_db()
    assert task.result == {"cursor": [1, 2], "items": [["cursor", [1, 2]]]}


def test_stores_are_injected_by_type(submit):
    task = submit("state.injected")
    assert run_task(str(task.uuid)) == "SUCCESS"
    task.refresh_from_db()
    assert task.result == 1
    assert context_for(task).state.get("via") == "injection"
