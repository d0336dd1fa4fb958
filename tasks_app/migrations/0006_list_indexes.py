# Indexes of the list pages (newest first, ties by id) and only those a query uses: the
# creator's own index and the LIKE index of dedup_key go; its uniqueness stays, as a constraint.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tasks_app", "0005_subscriber_task_copies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="tasksubscriber",
            name="task_created_at",
            field=models.DateTimeField(editable=False, verbose_name="task created at"),
        ),
        migrations.AlterField(
            model_name="tasksubscriber",
            name="task_scope",
            field=models.CharField(
                choices=[("private", "Private"), ("shared", "Shared"), ("system", "System")],
                editable=False,
                max_length=16,
                verbose_name="task scope",
            ),
        ),
        # The new unique constraint first: dedup is enforced at every step.
        migrations.AddConstraint(
            model_name="task",
            constraint=models.UniqueConstraint(
                fields=("dedup_key",), name="gtf_task_dedup_key_unique"
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="dedup_key",
            field=models.CharField(
                editable=False, max_length=64, null=True, verbose_name="dedup key"
            ),
        ),
        migrations.RemoveIndex(model_name="task", name="gtf_task_creator_created"),
        migrations.RemoveIndex(model_name="task", name="gtf_task_owner_scope_status"),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["created_by", "scope", "status", "-created_at", "-id"],
                name="gtf_task_owner_scope_status",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="gtf_tasks",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.RemoveIndex(model_name="tasksubscriber", name="gtf_subscriber_user_task"),
        migrations.AddIndex(
            model_name="tasksubscriber",
            index=models.Index(
                fields=["user", "task_scope", "-task_created_at", "-task"],
                name="gtf_subscriber_user_newest",
            ),
        ),
        migrations.AlterField(
            model_name="tasksubscriber",
            name="task",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscribers",
                to="tasks_app.task",
                verbose_name="task",
            ),
        ),
        migrations.AlterField(
            model_name="tasksubscriber",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="gtf_subscriptions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
