# The worker path writes every index of a task twice (start and finish): the reaper's index holds
# running tasks only, and the rerun link only the rows that are reruns.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class AlterFieldExceptOnMySQL(migrations.AlterField):
    """MySQL keeps an index on every foreign key column whatever ``db_index`` says: Django
    leaves it in place going forward, so going back must not create it again."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "mysql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "mysql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ('tasks_app', '0006_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='task',
            name='gtf_task_status_heartbeat',
        ),
        AlterFieldExceptOnMySQL(
            model_name='task',
            name='rerun_of',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reruns', to='tasks_app.task', verbose_name='rerun of'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('rerun_of__isnull', False)), fields=['rerun_of'], name='gtf_task_rerun_of'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('status__in', ['IN_PROGRESS', 'ABORTING'])), fields=['heartbeat_at'], name='gtf_task_running_heartbeat'),
        ),
    ]
