from django.apps import AppConfig, apps
from django.core import checks
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _

from tasks_app.dispatch import Periodic


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    label = "tasks_app"
    verbose_name = _("Tasks")
    default_auto_field = "django.db.models.BigAutoField"

    # What this app declares for GTF itself (see tasks_app.extensions).
    gtf_injectables = {"tasks_app.worker.context.TaskContext": ""}
    gtf_api_root = {
        "tasks": "tasks_api:task-list",
        "task-types": "tasks_api:task-type-list",
        "schedules": "tasks_api:schedule-list",
        "audit": "tasks_api:audit-list",
    }
    gtf_periodic_jobs = (
        Periodic(name="gtf.reap", func="tasks_app.worker.reaper.reap", minutes=1),
        Periodic(name="gtf.prune", func="tasks_app.ops.pruning.prune_periodic", minutes=60),
    )

    def ready(self) -> None:
        from tasks_app import availability
        from tasks_app import checks as gtf_checks
        from tasks_app.conf import conf
        from tasks_app.models import TaskType
        from tasks_app.ops import task_types
        from tasks_app.ops.maintenance import install_periodic_jobs
        from tasks_app.ops.schedules import schedules_install_all
        from tasks_app.registry import autodiscover
        from tasks_app.signals import worker_started
        from tasks_app.worker.push import mark_worker_process
        from tasks_app.worker.shell import register_shell_commands

        for check in gtf_checks.ALL:
            checks.register(check, checks.Tags.compatibility)
        autodiscover(conf.AUTODISCOVER_MODULE)
        register_shell_commands()
        if apps.is_installed("django_q"):
            from tasks_app.worker.executors import django_q

            django_q.connect_signals()
        post_migrate.connect(install_periodic_jobs, sender=self, dispatch_uid="gtf_periodic")
        post_migrate.connect(task_types.sync_after_migrate, sender=self, dispatch_uid="gtf_types")
        post_migrate.connect(schedules_install_all, sender=self, dispatch_uid="gtf_schedules")
        post_save.connect(availability.invalidate_on_change, sender=TaskType, dispatch_uid="gtf_s")
        post_delete.connect(
            availability.invalidate_on_change, sender=TaskType, dispatch_uid="gtf_d"
        )
        worker_started.connect(task_types.sync_at_worker_start, dispatch_uid="gtf_types_on_spawn")
        worker_started.connect(mark_worker_process, dispatch_uid="gtf_push_in_worker")
