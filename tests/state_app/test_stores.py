"""The stores through the running-task API (``ctx.state``, ``ctx.assets``)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from state_app.codec import Undecodable
from state_app.exceptions import (
    InvalidExpiry,
    StateNotFound,
    UndecodableEntry,
    VersionMismatch,
)
from state_app.models import AssetState, TaskState
from state_app.stores import AssetStateStore, TaskStateStore
from tasks_app.exceptions import TaskNotFound
from tests.state_app.conftest import context_for, make_task

pytestmark = pytest.mark.django_db


def test_set_get_versions_and_default(ctx):
    assert ctx.state.get("cursor") is None
    assert ctx.state.get("cursor", 0) == 0
    first = ctx.state.set("cursor", {"page": 1})
    assert (first.created, first.version) == (True, 1)
    second = ctx.state.set("cursor", {"page": 2})
    assert (second.created, second.version) == (False, 2)
    assert ctx.state.get("cursor") == {"page": 2}
    assert TaskState.objects.get().version == 2


def test_state_survives_a_retry_and_is_per_task(user, task):
    context_for(task, attempt=1).state.set("job", "ext-42")
    assert context_for(task, attempt=2).state.get("job") == "ext-42"
    assert context_for(make_task(user)).state.get("job") is None


def test_state_is_deleted_with_its_task(task, ctx):
    ctx.state.set("a", 1)
    task.delete()
    assert TaskState.objects.count() == 0


def test_items_delete_clear(ctx):
    for key in ("b", "a", "c"):
        ctx.state.set(key, key.upper())
    assert ctx.state.items() == [("a", "A"), ("b", "B"), ("c", "C")]
    assert ctx.state.delete("b") is True
    assert ctx.state.delete("b") is False
    assert ctx.state.clear() == 2
    assert ctx.state.items() == []


def test_default_ttl_explicit_ttl_and_never(ctx, settings):
    now = timezone.now()
    settings.GTF = {**settings.GTF, "TASK_STATE_TTL": 3600}
    default = ctx.state.set("d", 1)
    assert timedelta(minutes=59) < default.expires_at - now < timedelta(minutes=61)
    explicit = ctx.state.set("e", 1, ttl=timedelta(days=2))
    assert timedelta(days=1.9) < explicit.expires_at - now < timedelta(days=2.1)
    never = ctx.state.set("n", 1, ttl=None)
    assert never.expires_at is None
    assert TaskState.objects.get(key="n").expires_at is None


@pytest.mark.parametrize("ttl", [0, -5, "10", True, float("inf"), 10**12])
def test_bad_ttl(ctx, ttl):
    with pytest.raises(InvalidExpiry, match="ttl must be"):
        ctx.state.set("k", 1, ttl=ttl)
    assert TaskState.objects.count() == 0


def expire(key):
    TaskState.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_expired_entries_are_invisible_at_once_and_replaced_on_set(ctx):
    ctx.state.set("gone", "old")
    ctx.state.set("kept", "yes")
    expire("gone")
    assert ctx.state.get("gone", "default") == "default"
    assert ctx.state.items() == [("kept", "yes")]
    with pytest.raises(StateNotFound):
        ctx.state.patch("gone", "x")
    assert ctx.state.delete("gone") is False
    again = ctx.state.set("gone", "new")
    assert again.created is True and again.version == 2  # same row revived, version moves on
    assert ctx.state.get("gone") == "new"
    assert TaskState.objects.filter(key="gone").count() == 1


def test_patch_keeps_expiry(ctx):
    entry = ctx.state.set("k", 1, ttl=120)
    patched = ctx.state.patch("k", 2)
    assert patched.expires_at == entry.expires_at and patched.version == 2
    assert ctx.state.get("k") == 2


def test_compare_and_set(ctx):
    with pytest.raises(VersionMismatch, match="Expected version 1, but the entry does not exist"):
        ctx.state.compare_and_set("k", 1, "x")
    assert ctx.state.compare_and_set("k", 0, "a").version == 1  # 0: only if absent
    with pytest.raises(VersionMismatch, match="Expected version 0, but it is 1"):
        ctx.state.compare_and_set("k", 0, "b")
    assert ctx.state.compare_and_set("k", 1, "b").version == 2
    with pytest.raises(VersionMismatch, match="Expected version 1, but it is 2") as exc:
        ctx.state.compare_and_set("k", 1, "c")
    assert exc.value.current == 2
    assert ctx.state.get("k") == "b"


def test_conditional_delete_and_patch(ctx):
    ctx.state.set("k", 1)
    with pytest.raises(VersionMismatch):
        ctx.state.delete("k", expected_version=5)
    with pytest.raises(VersionMismatch):
        ctx.state.patch("k", 2, expected_version=5)
    assert ctx.state.patch("k", 2, expected_version=1).version == 2
    assert ctx.state.delete("k", expected_version=2) is True


def test_update_creates_then_increments(ctx):
    assert ctx.state.update("n", lambda v: v + 1, default=0) == 1
    assert ctx.state.update("n", lambda v: v + 1, default=0) == 2
    assert ctx.state.get_entry("n").version == 2


def test_update_treats_an_expired_entry_as_absent(ctx):
    ctx.state.set("n", 41)
    expire("n")
    assert ctx.state.update("n", lambda v: v + 1, default=0) == 1


def test_update_validates_the_new_value(ctx):
    ctx.state.set("n", 1)
    with pytest.raises(Exception, match="NaN and Infinity"):
        ctx.state.update("n", lambda v: float("nan"))
    assert ctx.state.get("n") == 1


def test_undecodable_row_is_returned_flagged(ctx, caplog):
    ctx.state.set("good", 1)
    ctx.state.set("bad", 2)
    TaskState.objects.filter(key="bad").update(value="{broken")
    value = ctx.state.get("bad")
    assert isinstance(value, Undecodable) and value.raw == "{broken"
    assert dict(ctx.state.items())["good"] == 1
    assert "Undecodable taskstate entry" in caplog.text
    with pytest.raises(UndecodableEntry, match="cannot be decoded"):
        ctx.state.update("bad", lambda v: v)
    assert ctx.state.set("bad", 3).version == 2  # a set repairs it


@pytest.mark.django_db(transaction=True)
def test_writes_to_a_deleted_task_say_so(user):
    task = make_task(user)
    store = TaskStateStore(task.pk)
    task.delete()
    # The foreign key is checked at commit, outside the insert: the store still names it.
    with pytest.raises(TaskNotFound):
        store.set("k", 1)
    with pytest.raises(TaskNotFound):
        store.update("n", lambda v: 1)
    assert TaskState.objects.count() == 0


def test_assets_record_the_writer_and_never_expire(ctx, user):
    orders = ctx.assets["warehouse.orders"]
    entry = orders.set("watermark", "2024-01-01")
    assert entry.expires_at is None and entry.updated_by_task == ctx.uuid
    row = AssetState.objects.get()
    assert (row.asset, row.updated_by_task, row.updated_by_user_id) == (
        "warehouse.orders",
        ctx.uuid,
        None,
    )
    AssetStateStore("warehouse.orders", user=user).set("watermark", "2024-02-01")
    row.refresh_from_db()
    assert (row.updated_by_task, row.updated_by_user_id, row.version) == (None, user.pk, 2)
    assert ctx.assets["warehouse.orders"].get("watermark") == "2024-02-01"
    assert ctx.assets["other"].items() == []
    with pytest.raises(InvalidExpiry, match="Asset state does not expire"):
        orders.set("w", 1, ttl=10)


def _statements(captured):
    """The SQL sent, without transaction control (the test's own transaction turns the
    store's into savepoints)."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]


@pytest.mark.parametrize("model", ["task", "asset"])
def test_a_set_is_one_locking_read_and_one_write(ctx, model):
    # As many statements as Django's update_or_create: the row is read locked, without its
    # value, then written once.
    store = ctx.state if model == "task" else ctx.assets["warehouse.orders"]
    with CaptureQueriesContext(connection) as created:
        store.set("k", {"n": 1})
    with CaptureQueriesContext(connection) as replaced:
        entry = store.set("k", {"n": 2})
    assert [s.split()[0] for s in _statements(created)] == ["SELECT", "INSERT"]
    read, write = _statements(replaced)
    assert read.startswith("SELECT") and write.startswith("UPDATE")
    assert '."value"' not in read
    if connection.features.has_select_for_update:
        assert read.endswith("FOR UPDATE")
    assert entry.version == 2 and store.get("k") == {"n": 2}


def test_a_get_is_one_read(ctx):
    ctx.state.set("k", [1, 2])
    with CaptureQueriesContext(connection) as captured:
        assert ctx.state.get("k") == [1, 2]
    assert len(_statements(captured)) == 1
