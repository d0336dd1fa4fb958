"""The watcher thread is woken by a new watch only when that watch is due before the watcher
wakes anyway (its next abort poll): a task does not cost a thread switch for watching."""

import uuid

from tasks_app.worker.context import TaskContext
from tasks_app.worker.monitor import Watcher


def ctx(task_id: int) -> TaskContext:
    return TaskContext(task_id=task_id, uuid=uuid.uuid4(), task_type="t", attempt=1, payload={})


def test_a_watch_due_after_the_next_poll_leaves_the_watcher_asleep(settings):
    settings.GTF = {**settings.GTF, "ABORT_POLL_INTERVAL": 1.0, "HEARTBEAT_INTERVAL": 10.0}
    watcher = Watcher()  # not started: its loop's planning is called by hand
    watcher._next_wait()  # the loop plans to wake at the next poll, within a second
    watcher.watch(ctx(1), timeout=600, run_handlers=lambda: None)
    assert not watcher._wake.is_set()


def test_a_watch_due_before_the_next_poll_wakes_the_watcher(settings):
    settings.GTF = {**settings.GTF, "ABORT_POLL_INTERVAL": 60.0, "HEARTBEAT_INTERVAL": 10.0}
    watcher = Watcher()
    watcher._next_wait()  # next poll a minute away
    watcher.watch(ctx(1), timeout=2, run_handlers=lambda: None)
    assert watcher._wake.is_set()
    watcher._wake.clear()
    watcher._next_wait()  # now planned around that 2 s deadline
    watcher.watch(ctx(2), timeout=600, run_handlers=lambda: None)  # heartbeat in 10 s
    assert not watcher._wake.is_set()


def test_a_heartbeat_due_before_the_next_poll_wakes_the_watcher(settings):
    settings.GTF = {**settings.GTF, "ABORT_POLL_INTERVAL": 60.0, "HEARTBEAT_INTERVAL": 0.5}
    watcher = Watcher()
    watcher._next_wait()
    watcher.watch(ctx(1), timeout=None, run_handlers=lambda: None)
    assert watcher._wake.is_set()
