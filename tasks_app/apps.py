from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    label = "tasks_app"
    verbose_name = _("Tasks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tasks_app import checks  # noqa: F401  (registers system checks)
        from tasks_app.conf import conf
        from tasks_app.maintenance import install_periodic_jobs
        from tasks_app.registry import autodiscover
        from tasks_app.shell import register_shell_commands

        autodiscover(conf.AUTODISCOVER_MODULE)
        register_shell_commands()
        if apps.is_installed("django_q"):
            import tasks_app.executors.django_q  # noqa: F401  (wires the worker_started signal)
        if apps.is_installed("django.contrib.admin"):
            import tasks_app.admin_ops  # noqa: F401  (registers task types and schedules)
        from tasks_app import runner, services, types
        from tasks_app.executors import Periodic
        from tasks_app.maintenance import PERIODIC_JOBS
        from tasks_app.push import mark_worker_process
        from tasks_app.reaper import start_reaper_after_spawn
        from tasks_app.schedules import schedules_install_all
        from tasks_app.signals import worker_started

        PERIODIC_JOBS.append(Periodic(name="gtf.reap", func="tasks_app.reaper.reap", minutes=1))
        PERIODIC_JOBS.append(
            Periodic(name="gtf.prune", func="tasks_app.pruning.prune_periodic", minutes=60)
        )
        services.SUBMIT_GUARDS.append(types.refuse_disabled_submit)
        runner.START_GUARDS.append(types.refuse_disabled_start)
        post_migrate.connect(install_periodic_jobs, sender=self, dispatch_uid="gtf_periodic")
        post_migrate.connect(types.sync_after_migrate, sender=self, dispatch_uid="gtf_types")
        post_migrate.connect(schedules_install_all, sender=self, dispatch_uid="gtf_schedules")
        worker_started.connect(start_reaper_after_spawn, dispatch_uid="gtf_reap_on_spawn")
        worker_started.connect(types.sync_at_worker_start, dispatch_uid="gtf_types_on_spawn")
        worker_started.connect(mark_worker_process, dispatch_uid="gtf_push_in_worker")
