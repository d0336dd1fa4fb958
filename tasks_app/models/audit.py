"""The audit trail: one row per operator action, written in the action's transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tasks_app.enums import OperatorActionKind


class OperatorAction(models.Model):
    """Who did what to which object, when; ``before``/``after`` where a value changed."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the system (code, a management command, a schedule)."),
        db_index=False,  # gtf_action_actor starts with it
    )
    # Kept when the account is deleted: the trail must still say who it was.
    actor_name = models.CharField(_("actor name"), max_length=255, blank=True, default="")
    action = models.CharField(_("action"), max_length=32, choices=OperatorActionKind.choices)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, default="")

    class Meta:
        verbose_name = _("operator action")
        verbose_name_plural = _("operator actions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="gtf_action_created"),
            models.Index(fields=["target_type", "target_id"], name="gtf_action_target"),
            models.Index(fields=["actor", "-created_at"], name="gtf_action_actor"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "system"
        return f"{who} {self.action} {self.target_type} {self.target_id}"
