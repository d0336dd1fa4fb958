from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksAppConfig(AppConfig):
    name = "tasks_app"
    label = "tasks_app"
    verbose_name = _("Tasks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tasks_app import checks  # noqa: F401  (registers system checks)
        from tasks_app.conf import conf
        from tasks_app.registry import autodiscover

        autodiscover(conf.AUTODISCOVER_MODULE)
