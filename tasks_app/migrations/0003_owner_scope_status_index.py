# A user's private tasks of a status, read from the index alone (the API's task list).

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks_app', '0002_task_types_and_schedules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['created_by', 'scope', 'status', '-created_at', 'id'], name='gtf_task_owner_scope_status'),
        ),
    ]
