# The task foreign key has no index of its own: the unique (task, key) index starts with it.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("state_app", "0001_task_state_and_asset_state"),
    ]

    operations = [
        migrations.AlterField(
            model_name="taskstate",
            name="task",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="state_entries",
                to="tasks_app.task",
                verbose_name="task",
            ),
        ),
    ]
