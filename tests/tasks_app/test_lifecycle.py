import itertools

import pytest

from tasks_app import lifecycle
from tasks_app.exceptions import InvalidTransition
from tasks_app.models import TERMINAL_STATUSES, Task, TaskStatus

S = TaskStatus
ALLOWED = {
    (S.PENDING, S.IN_PROGRESS),
    (S.PENDING, S.ABORTED),
    (S.PENDING, S.FAILURE),
    (S.IN_PROGRESS, S.SUCCESS),
    (S.IN_PROGRESS, S.FAILURE),
    (S.IN_PROGRESS, S.TIMED_OUT),
    (S.IN_PROGRESS, S.ABORTING),
    (S.IN_PROGRESS, S.PENDING),
    (S.ABORTING, S.ABORTED),
    (S.ABORTING, S.TIMED_OUT),
    (S.ABORTING, S.FAILURE),
    (S.ABORTING, S.SUCCESS),
}
ALL_PAIRS = list(itertools.product(S.values, S.values))


def make(status, **kw):
    return Task.objects.create(
        task_type="t.add", task_key="k", scope="private", status=status, dedup_key="d" * 64, **kw
    )


@pytest.mark.django_db
@pytest.mark.parametrize("current,target", sorted(ALLOWED))
def test_allowed_transition_updates_row(current, target):
    task = make(current)
    assert lifecycle.transition(task.pk, current=current, target=target) is True
    task.refresh_from_db()
    assert task.status == target
    if target in TERMINAL_STATUSES:
        assert task.dedup_key is None and task.ended_at is not None
    else:
        assert task.dedup_key == "d" * 64 and task.ended_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("current,target", sorted(set(ALL_PAIRS) - ALLOWED))
def test_refused_transition_raises_and_writes_nothing(current, target):
    task = make(current)
    with pytest.raises(
        InvalidTransition, match=f"Illegal task status transition {current} -> {target}"
    ):
        lifecycle.transition(task.pk, current=current, target=target)
    task.refresh_from_db()
    assert task.status == current


@pytest.mark.django_db
def test_lost_race_never_overwrites():
    task = make(S.IN_PROGRESS)
    assert lifecycle.transition(task.pk, current=S.IN_PROGRESS, target=S.ABORTING)
    # A writer still believing the task is IN_PROGRESS loses and changes nothing.
    assert lifecycle.transition(task.pk, current=S.IN_PROGRESS, target=S.SUCCESS, result=1) is False
    task.refresh_from_db()
    assert task.status == S.ABORTING and task.result is None


@pytest.mark.django_db
def test_advance_rereads_after_lost_race():
    task = make(S.IN_PROGRESS)
    stale = Task.objects.get(pk=task.pk)
    lifecycle.transition(task.pk, current=S.IN_PROGRESS, target=S.ABORTING)
    assert lifecycle.advance(stale, S.ABORTED) is True
    assert stale.status == S.ABORTED
    assert lifecycle.advance(stale, S.SUCCESS) is False


def test_table_covers_every_status():
    assert set(lifecycle.TRANSITIONS) == set(S.values)
    assert all(not lifecycle.TRANSITIONS[s] for s in TERMINAL_STATUSES)
