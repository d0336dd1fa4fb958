"""Test data: users, tasks, subscribers, state entries and schedules as rows.

Factories write rows directly, in any status: tests of reads (lists, filters, pages) need
tasks that no worker ran. Tests of behaviour submit through the services instead.
"""

import uuid

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import EmailField
from django.utils import timezone

from state_app.models import AssetState, TaskState
from tasks_app.enums import TERMINAL_STATUSES, ScheduleKind, TaskScope, TaskStatus
from tasks_app.models import Schedule, Task, TaskSubscriber

User = get_user_model()


def natural_key(name: str) -> str:
    """The USERNAME_FIELD value for a short name: itself, or an address for an email login."""
    field = User._meta.get_field(User.USERNAME_FIELD)
    return f"{name}@example.com" if isinstance(field, EmailField) else name


def json_pk(user) -> int | str:
    """A user id as the API renders it: a number for integer keys, else a string."""
    return user.pk if isinstance(user.pk, int) else str(user.pk)


class UserFactory(factory.django.DjangoModelFactory):
    """A user of whatever model AUTH_USER_MODEL names; ``username="alice"`` fills its
    USERNAME_FIELD (``alice@example.com`` when that is an email field)."""

    class Meta:
        model = User
        django_get_or_create = (User.USERNAME_FIELD,)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")
    is_staff = False

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        name = kwargs.pop("username")
        if any(f.name == "username" for f in User._meta.get_fields()):
            kwargs["username"] = name
        kwargs[User.USERNAME_FIELD] = natural_key(name)
        return kwargs


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class SuperuserFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"root{n}")
    is_superuser = True


# The model permissions GTF's operator actions need (tasks_app.rules).
OPERATOR_PERMISSIONS = (
    "tasks_app.change_tasktype",
    "tasks_app.view_schedule",
    "tasks_app.add_schedule",
    "tasks_app.change_schedule",
    "tasks_app.delete_schedule",
    "tasks_app.force_abort_task",
    "tasks_app.rerun_task",
    "tasks_app.delete_task",
    "tasks_app.view_operatoraction",
    "state_app.change_assetstate",
)


def grant(user, *names: str):
    """Give ``user`` the permissions ``names`` ("app_label.codename"); returns it fresh (the
    old object's permission cache would not see them)."""
    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User._default_manager.get(pk=user.pk)


def operator(**kwargs):
    """A staff user with every permission GTF's operator actions need."""
    return grant(StaffFactory(**kwargs), *OPERATOR_PERMISSIONS)


class TaskFactory(factory.django.DjangoModelFactory):
    """A task row; ``status`` terminal rows get ``ended_at`` and no dedup key."""

    class Meta:
        model = Task

    task_type = "t.add"
    task_key = factory.LazyFunction(lambda: uuid.uuid4().hex)
    scope = TaskScope.PRIVATE
    status = TaskStatus.PENDING
    parameters = factory.LazyFunction(lambda: {"a": 1})
    created_by = factory.SubFactory(UserFactory)
    timeout = 3600
    started_at = factory.LazyAttribute(
        lambda t: None if t.status == TaskStatus.PENDING else timezone.now()
    )
    ended_at = factory.LazyAttribute(
        lambda t: timezone.now() if t.status in TERMINAL_STATUSES else None
    )


class TaskSubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskSubscriber

    task = factory.SubFactory(TaskFactory, scope=TaskScope.SHARED)
    user = factory.SubFactory(UserFactory)


class TaskStateFactory(factory.django.DjangoModelFactory):
    """A task state entry; ``value`` is the stored JSON text."""

    class Meta:
        model = TaskState

    task = factory.SubFactory(TaskFactory)
    key = factory.Sequence(lambda n: f"key{n}")
    value = "1"
    updated_at = factory.LazyFunction(timezone.now)


class AssetStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssetState

    asset = "warehouse.orders"
    key = factory.Sequence(lambda n: f"key{n}")
    value = '"x"'
    updated_at = factory.LazyFunction(timezone.now)


class ScheduleFactory(factory.django.DjangoModelFactory):
    """A schedule row (not installed on any scheduler: use the schedule services for that)."""

    class Meta:
        model = Schedule

    name = factory.Sequence(lambda n: f"schedule{n}")
    task_type = "t.shared_noop"
    kind = ScheduleKind.CRON
    cron = "*/5 * * * *"
    scope = TaskScope.SHARED


def backdate(task: Task, when) -> Task:
    """``task`` as if created (and last updated) at ``when``: its subscriptions' copy of the
    creation time follows, as it would have been copied then."""
    Task.objects.filter(pk=task.pk).update(created_at=when, updated_at=when)
    TaskSubscriber.objects.filter(task_id=task.pk).update(task_created_at=when)
    task.refresh_from_db()
    return task
