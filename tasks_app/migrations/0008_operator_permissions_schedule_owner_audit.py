# Operator actions need model permissions (two custom ones on Task); a schedule fires as its
# owner; the audit trail. Existing schedules a user created become that user's.

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations, models


def owners_from_creators(apps, schema_editor):
    """A schedule a user created fires as that user from now on, like a new one would."""
    Schedule = apps.get_model("tasks_app", "Schedule")
    # A historical model has no USERNAME_FIELD: the host's user model names the field.
    username_field = get_user_model().USERNAME_FIELD
    rows = Schedule.objects.using(schema_editor.connection.alias).filter(created_by__isnull=False)
    for schedule in rows.select_related("created_by"):
        user = schedule.created_by
        name = getattr(user, username_field, "") or str(user.pk)
        Schedule.objects.using(schema_editor.connection.alias).filter(pk=schedule.pk).update(
            owner=user, owner_name=str(name)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_app", "0007_worker_path_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="task",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("force_abort_task", "Can abort any task, for all its subscribers"),
                    ("rerun_task", "Can rerun any finished task"),
                ],
                "verbose_name": "task",
                "verbose_name_plural": "tasks",
            },
        ),
        migrations.AddField(
            model_name="schedule",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                help_text="Who created or last changed it: each firing submits as this user. Empty with no owner name: the system.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AddField(
            model_name="schedule",
            name="owner_name",
            field=models.CharField(
                blank=True, default="", max_length=255, verbose_name="owner name"
            ),
        ),
        migrations.AlterField(
            model_name="schedule",
            name="last_outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("submitted", "Submitted a new task"),
                    ("joined", "Joined the running task"),
                    ("skipped_disabled", "Skipped: disabled"),
                    ("skipped_orphan", "Skipped: type not registered"),
                    ("skipped_forbidden", "Skipped: the owner may not submit the type"),
                    ("failed", "Failed to submit"),
                ],
                default="",
                max_length=32,
                verbose_name="last outcome",
            ),
        ),
        migrations.CreateModel(
            name="OperatorAction",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "actor_name",
                    models.CharField(
                        blank=True, default="", max_length=255, verbose_name="actor name"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("abort", "Abort"),
                            ("force_abort", "Force abort"),
                            ("rerun", "Rerun"),
                            ("type_enable", "Enable task type"),
                            ("type_disable", "Disable task type"),
                            ("schedule_create", "Create schedule"),
                            ("schedule_change", "Change schedule"),
                            ("schedule_delete", "Delete schedule"),
                            ("prune", "Prune finished tasks"),
                            ("tasks_delete", "Delete finished tasks"),
                            ("asset_state_set", "Write asset state"),
                            ("asset_state_delete", "Delete asset state"),
                        ],
                        max_length=32,
                        verbose_name="action",
                    ),
                ),
                ("target_type", models.CharField(max_length=64, verbose_name="target type")),
                (
                    "target_id",
                    models.CharField(
                        blank=True, default="", max_length=255, verbose_name="target id"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="when")),
                ("before", models.JSONField(blank=True, null=True, verbose_name="before")),
                ("after", models.JSONField(blank=True, null=True, verbose_name="after")),
                ("reason", models.TextField(blank=True, default="", verbose_name="reason")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Empty: the system (code, a management command, a schedule).",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
            ],
            options={
                "verbose_name": "operator action",
                "verbose_name_plural": "operator actions",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["-created_at", "-id"], name="gtf_action_created"),
                    models.Index(fields=["target_type", "target_id"], name="gtf_action_target"),
                    models.Index(fields=["actor", "-created_at"], name="gtf_action_actor"),
                ],
            },
        ),
        migrations.RunPython(owners_from_creators, migrations.RunPython.noop),
    ]
