from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StateAppConfig(AppConfig):
    name = "state_app"
    label = "state_app"
    verbose_name = _("Task and asset state")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import state_app.stores  # noqa: F401  (registers the stores as injectable types)
        from tasks_app.executors import Periodic
        from tasks_app.maintenance import PERIODIC_JOBS

        job = Periodic(name="gtf.state_cleanup", func="state_app.cleanup.state_cleanup", minutes=60)
        if job not in PERIODIC_JOBS:
            PERIODIC_JOBS.append(job)
        from state_app.web import task_state_context
        from tasks_app.web.panels import Panel, add_panel

        add_panel(Panel("state", "state_app/task_state_panel.html", task_state_context))
