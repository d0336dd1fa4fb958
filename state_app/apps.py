from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StateAppConfig(AppConfig):
    name = "state_app"
    label = "state_app"
    verbose_name = _("Task and asset state")
    default_auto_field = "django.db.models.BigAutoField"
