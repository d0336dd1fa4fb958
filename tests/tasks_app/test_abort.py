import pytest

from tasks_app import lifecycle
from tasks_app.exceptions import (
    AbortForbidden,
    LastSubscriber,
    TaskAlreadyFinished,
    TaskNotAbortable,
    TaskNotFound,
)
from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tasks_app.services import subscriber_add, task_abort, task_unsubscribe

pytestmark = pytest.mark.django_db
S = TaskStatus


def make(scope, creator, status=S.PENDING, abortable=False, subscribers=()):
    task = Task.objects.create(
        task_type="t.shared_noop",
        task_key="k",
        scope=scope,
        status=status,
        created_by=creator,
        is_abortable=abortable,
    )
    for u in subscribers:
        subscriber_add(task=task, user=u)
    return task


def status_of(task):
    task.refresh_from_db()
    return task.status


# -- status outcomes ---------------------------------------------------------------
def test_pending_is_aborted_at_once(user):
    task = make("private", user)
    res = task_abort(task_uuid=task.uuid, user=user)
    assert res.action == "aborted" and status_of(task) == S.ABORTED
    assert task.dedup_key is None and task.ended_at is not None


def test_running_abortable_becomes_aborting(user):
    task = make("private", user, status=S.IN_PROGRESS, abortable=True)
    assert task_abort(task_uuid=task.uuid, user=user).action == "aborted"
    assert status_of(task) == S.ABORTING


def test_running_not_abortable_is_refused(user):
    task = make("private", user, status=S.IN_PROGRESS)
    with pytest.raises(TaskNotAbortable, match="registered no abort handler"):
        task_abort(task_uuid=task.uuid, user=user)
    assert status_of(task) == S.IN_PROGRESS


@pytest.mark.parametrize("status", [S.SUCCESS, S.FAILURE, S.ABORTED, S.TIMED_OUT])
def test_finished_is_refused(user, status):
    task = make("private", user, status=status)
    with pytest.raises(TaskAlreadyFinished, match="already finished"):
        task_abort(task_uuid=task.uuid, user=user)
    assert status_of(task) == status


def test_aborting_again_is_idempotent(user):
    task = make("private", user, status=S.ABORTING, abortable=True)
    assert task_abort(task_uuid=task.uuid, user=user).action == "aborted"
    assert status_of(task) == S.ABORTING


# -- scope and caller --------------------------------------------------------------
def test_private_creator_and_staff_abort_others_see_nothing(user, other, staff):
    t1 = make("private", user)
    with pytest.raises(TaskNotFound):
        task_abort(task_uuid=t1.uuid, user=other)
    assert status_of(t1) == S.PENDING
    assert task_abort(task_uuid=t1.uuid, user=user).action == "aborted"
    t2 = make("private", user)
    assert task_abort(task_uuid=t2.uuid, user=staff).action == "aborted"


def test_shared_subscriber_unsubscribes_while_others_remain(user, other, third):
    task = make("shared", user, subscribers=[user, other])
    with pytest.raises(TaskNotFound):
        task_abort(task_uuid=task.uuid, user=third)  # not a subscriber: cannot see it
    res = task_abort(task_uuid=task.uuid, user=user)
    assert res.action == "unsubscribed" and status_of(task) == S.PENDING
    assert list(TaskSubscriber.objects.values_list("user_id", flat=True)) == [other.pk]
    with pytest.raises(TaskNotFound):
        task_abort(task_uuid=task.uuid, user=user)  # no longer sees it


def test_last_subscriber_aborts(user, other):
    task = make("shared", user, subscribers=[user, other])
    task_abort(task_uuid=task.uuid, user=other)
    res = task_abort(task_uuid=task.uuid, user=user)
    assert res.action == "aborted" and status_of(task) == S.ABORTED


def test_last_subscriber_of_unabortable_running_task_is_refused_and_stays(user):
    task = make("shared", user, status=S.IN_PROGRESS, subscribers=[user])
    with pytest.raises(TaskNotAbortable):
        task_abort(task_uuid=task.uuid, user=user)
    assert TaskSubscriber.objects.filter(task=task, user=user).exists()


def test_staff_force_aborts_shared_task_with_subscribers(user, other, staff):
    task = make(
        "shared", user, status=S.IN_PROGRESS, abortable=True, subscribers=[user, other, staff]
    )
    res = task_abort(task_uuid=task.uuid, user=staff, force=True)
    assert res.action == "aborted" and status_of(task) == S.ABORTING
    assert TaskSubscriber.objects.filter(task=task).count() == 3


def test_staff_without_force_who_is_not_subscribed_aborts(user, other, staff):
    task = make("shared", user, subscribers=[user, other])
    assert task_abort(task_uuid=task.uuid, user=staff).action == "aborted"


def test_non_staff_cannot_force(user, other):
    task = make("shared", user, subscribers=[user, other])
    with pytest.raises(AbortForbidden, match="Only staff with the permission .* may force"):
        task_abort(task_uuid=task.uuid, user=user, force=True)
    assert status_of(task) == S.PENDING


def test_system_task_only_staff(user, staff):
    task = make("system", staff)
    with pytest.raises(TaskNotFound):
        task_abort(task_uuid=task.uuid, user=user)
    assert task_abort(task_uuid=task.uuid, user=staff).action == "aborted"


def test_bad_uuid_is_not_found(user):
    with pytest.raises(TaskNotFound):
        task_abort(task_uuid="not-a-uuid", user=user)


def test_unsubscribe_rules(user, other):
    task = make("shared", user, subscribers=[user, other])
    task_unsubscribe(task_uuid=task.uuid, user=other)
    with pytest.raises(LastSubscriber):
        task_unsubscribe(task_uuid=task.uuid, user=user)
    lifecycle.transition(task.pk, current=S.PENDING, target=S.ABORTED)
    task_unsubscribe(task_uuid=task.uuid, user=user)  # finished: the last one may leave
    assert not TaskSubscriber.objects.exists()


def test_adding_existing_subscriber_is_a_noop_inside_a_transaction(user):
    from django.db import transaction

    task = make("shared", user)
    with transaction.atomic():
        assert subscriber_add(task=task, user=user) is True
        assert subscriber_add(task=task, user=user) is False
        # The transaction is still usable after the swallowed conflict.
        assert TaskSubscriber.objects.filter(task=task).count() == 1
