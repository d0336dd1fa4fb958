from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tasks_app.dispatch import Periodic


class StateAppConfig(AppConfig):
    name = "state_app"
    label = "state_app"
    verbose_name = _("Task and asset state")
    default_auto_field = "django.db.models.BigAutoField"

    # How state plugs into GTF (see tasks_app.extensions): ctx.state and ctx.assets of a
    # running task, the stores injected by type, and the hourly cleanup of expired state.
    gtf_context = {
        "state": "state_app.stores.task_state_for",
        "assets": "state_app.stores.assets_for",
    }
    gtf_injectables = {
        "state_app.stores.TaskStateStore": "state",
        "state_app.stores.AssetStores": "assets",
    }
    gtf_api_root = {"assets": "gtf_state:assets"}
    # The task center's task page shows the task's state (see tasks_app.web.panels).
    gtf_task_panels = {
        "state": ("state_app/task_state_panel.html", "state_app.web.task_state_context")
    }
    gtf_periodic_jobs = (
        Periodic(name="gtf.state_cleanup", func="state_app.cleanup.state_cleanup", minutes=60),
    )
