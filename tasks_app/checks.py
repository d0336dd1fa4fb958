"""System checks of GTF settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from tasks_app.conf import DEFAULTS


@register(Tags.compatibility)
def check_gtf_settings(app_configs=None, **kwargs):
    errors = []
    user = getattr(settings, "GTF", {})
    if not isinstance(user, dict):
        return [Error("settings.GTF must be a dict.", id="gtf.E001")]
    for name in sorted(set(user) - set(DEFAULTS)):
        errors.append(
            Warning(
                f"settings.GTF has an unknown key {name!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="gtf.W001",
            )
        )
    return errors
