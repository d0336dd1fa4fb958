import pytest

from tasks_app.exceptions import InvalidInput, SubmitForbidden, UnknownTaskType
from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tasks_app.services import task_submit
from tests.testapp.tasks import add

pytestmark = pytest.mark.django_db


def submit(**kw):
    kw.setdefault("parameters", {})
    return task_submit(**kw)


def test_submit_creates_pending_task_with_defaults_filled(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        res = submit(task_type="t.add", user=user, parameters={"a": 2}, task_key="k1")
    assert res.created is True
    task = res.task
    assert task.status == TaskStatus.PENDING
    assert task.parameters == {"a": 2, "b": 1}
    assert task.created_by == user and task.scope == "private"
    assert task.created_at.tzinfo is not None and task.timeout == 3600
    assert len(task.dedup_key) == 64


def test_second_submit_of_same_private_key_returns_same_task(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first = submit(task_type="t.add", user=user, parameters={"a": 1}, task_key="k")
        again = submit(task_type="t.add", user=user, parameters={"a": 1}, task_key="k")
    assert first.created is True and again.created is False
    assert again.task.pk == first.task.pk
    assert TaskSubscriber.objects.count() == 0  # private tasks have no subscribers


def test_private_keys_are_per_user(user, other, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        a = submit(task_type="t.add", user=user, parameters={"a": 1}, task_key="same")
        b = submit(task_type="t.add", user=other, parameters={"a": 1}, task_key="same")
    assert a.created and b.created and a.task.pk != b.task.pk


def test_shared_join_adds_subscriber(user, other, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        a = submit(task_type="t.shared_noop", user=user, task_key="s")
        b = submit(task_type="t.shared_noop", user=other, task_key="s")
        c = submit(task_type="t.shared_noop", user=other, task_key="s")
    assert a.created and not b.created and not c.created
    assert a.task.pk == b.task.pk == c.task.pk
    subs = set(TaskSubscriber.objects.filter(task=a.task).values_list("user_id", flat=True))
    assert subs == {user.pk, other.pk}


def test_terminal_status_frees_the_slot(user, django_capture_on_commit_callbacks):
    from tasks_app import lifecycle

    with django_capture_on_commit_callbacks(execute=False):
        a = submit(task_type="t.shared_noop", user=user, task_key="s")
        lifecycle.transition(a.task.pk, current=TaskStatus.PENDING, target=TaskStatus.ABORTED)
        b = submit(task_type="t.shared_noop", user=user, task_key="s")
    assert b.created and b.task.pk != a.task.pk


def test_no_key_means_no_dedup(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        a = submit(task_type="t.shared_noop", user=user)
        b = submit(task_type="t.shared_noop", user=user)
    assert a.created and b.created and a.task.task_key != b.task.task_key
    assert a.task.dedup_key is None


def test_same_key_different_scope_or_type_do_not_collide(
    user, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        a = submit(task_type="t.shared_noop", user=staff, task_key="s", scope="shared")
        b = submit(task_type="t.shared_noop", user=staff, task_key="s", scope="system")
        c = submit(task_type="t.system_noop", user=staff, task_key="s", scope="system")
    assert len({a.task.pk, b.task.pk, c.task.pk}) == 3


def test_system_scope_needs_staff(user, staff, django_capture_on_commit_callbacks):
    with pytest.raises(SubmitForbidden, match="Only staff may submit system tasks"):
        submit(task_type="t.system_noop", user=user)
    with pytest.raises(SubmitForbidden, match="Only staff"):
        submit(task_type="t.add", user=user, parameters={"a": 1}, scope="system")
    with django_capture_on_commit_callbacks(execute=False):
        assert submit(task_type="t.system_noop", user=staff).created
    assert Task.objects.count() == 1


def test_type_permission_is_required(user, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    with pytest.raises(SubmitForbidden, match="requires the permission 'auth.view_group'"):
        submit(task_type="t.secret", user=user)
    user.user_permissions.add(Permission.objects.get(codename="view_group"))
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=user.pk)
    with django_capture_on_commit_callbacks(execute=False):
        assert submit(task_type="t.secret", user=user).created


def test_anonymous_cannot_submit(db):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(SubmitForbidden, match="Authentication is required"):
        submit(task_type="t.add", user=AnonymousUser(), parameters={"a": 1})


def test_unknown_type_is_refused_before_writing(user):
    with pytest.raises(UnknownTaskType, match="Unknown task type 'nope'"):
        submit(task_type="nope", user=user)
    assert Task.objects.count() == 0


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("task_key", "x" * 257, "task_key is longer than 256 characters"),
        ("task_key", "bad\x00key", "task_key must not contain NUL or other control characters"),
        ("task_name", "line\nbreak", "task_name must not contain NUL or other control characters"),
        ("task_key", 12, "task_key must be a string"),
        ("scope", "public", "scope must be one of private, shared, system"),
        ("timeout", 0, "timeout must be a whole number of seconds"),
        ("timeout", True, "timeout must be a whole number of seconds"),
    ],
)
def test_bad_options_are_refused(user, field, value, message):
    with pytest.raises(InvalidInput, match=message) as info:
        submit(task_type="t.add", user=user, parameters={"a": 1}, **{field: value})
    assert info.value.field == field
    assert Task.objects.count() == 0


def test_oversize_parameters_refused(user, settings):
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 100}
    with pytest.raises(InvalidInput, match="the limit is 100"):
        submit(task_type="t.typed", user=user, parameters={"count": 1, "name": "y" * 200})
    assert Task.objects.count() == 0


def test_handle_submit_keeps_options_apart(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        res = add.submit(user=user, task_key="h", parameters={"a": 5})
    assert res.task.parameters == {"a": 5, "b": 1} and res.task.task_key == "h"
    assert add(2, 3) == 5  # the decorated function stays callable
