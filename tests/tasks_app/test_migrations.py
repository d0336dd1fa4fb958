"""Migrations that move data: existing subscriptions get their task's copies; existing
schedules get their creator as owner."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("tasks_app", "0004_queue_attempts_nodes")
AFTER = ("tasks_app", "0005_subscriber_task_copies")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor.loader.project_state([target]).apps if target else None


def test_existing_subscriptions_copy_their_tasks_scope_and_creation_time():
    try:
        old = migrate(BEFORE)
        # The host's user model, whichever it is (a historical model has no USERNAME_FIELD).
        users = old.get_model(settings.AUTH_USER_MODEL)
        user = users.objects.create(**{get_user_model().USERNAME_FIELD: "alice@example.com"})
        task = old.get_model("tasks_app", "Task").objects.create(
            task_type="t.add", task_key="k", scope="shared", created_by=user
        )
        old.get_model("tasks_app", "TaskSubscriber").objects.create(task=task, user=user)
        new = migrate(AFTER)
        row = new.get_model("tasks_app", "TaskSubscriber").objects.get()
        assert (row.task_scope, row.task_created_at) == ("shared", task.created_at)
    finally:
        migrate(None)


def test_existing_schedules_get_their_creator_as_owner():
    try:
        old = migrate(("tasks_app", "0007_worker_path_indexes"))
        users = old.get_model(settings.AUTH_USER_MODEL)
        name = "alice@example.com"
        user = users.objects.create(**{get_user_model().USERNAME_FIELD: name})
        schedules = old.get_model("tasks_app", "Schedule")
        common = {"task_type": "t.shared_noop", "kind": "cron", "cron": "0 3 * * *"}
        schedules.objects.create(name="by-user", scope="shared", created_by=user, **common)
        schedules.objects.create(name="by-code", scope="shared", **common)
        new = migrate(("tasks_app", "0008_operator_permissions_schedule_owner_audit"))
        rows = new.get_model("tasks_app", "Schedule").objects.order_by("name")
        owners = [(s.name, s.owner_id, s.owner_name) for s in rows]
        assert owners == [("by-code", None, ""), ("by-user", user.pk, name)]
    finally:
        migrate(None)
