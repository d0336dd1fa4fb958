# Subscribers keep a copy of their task's scope and creation time (both never change), so a
# user's list pages walk their subscriptions newest first by index.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_tasks(apps, schema_editor):
    Task = apps.get_model("tasks_app", "Task")
    TaskSubscriber = apps.get_model("tasks_app", "TaskSubscriber")
    task = Task.objects.filter(pk=OuterRef("task_id"))
    TaskSubscriber.objects.update(
        task_scope=Subquery(task.values("scope")[:1]),
        task_created_at=Subquery(task.values("created_at")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("tasks_app", "0004_queue_attempts_nodes"),
    ]

    operations = [
        migrations.AddField(
            model_name="tasksubscriber",
            name="task_created_at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="task created at"),
        ),
        migrations.AddField(
            model_name="tasksubscriber",
            name="task_scope",
            field=models.CharField(
                choices=[("private", "Private"), ("shared", "Shared"), ("system", "System")],
                editable=False,
                max_length=16,
                null=True,
                verbose_name="task scope",
            ),
        ),
        migrations.RunPython(copy_from_tasks, migrations.RunPython.noop, elidable=True),
    ]
