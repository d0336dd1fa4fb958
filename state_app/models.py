"""Task state and asset state tables. Writes go through ``state_app.stores`` only."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StateQuerySet(models.QuerySet["StateEntry"]):
    """Reusable state queries: what is live (not expired) and what is expired."""

    def live(self, now: datetime | None = None) -> Self:
        """Entries a read may see: expiry is checked here, before any cleanup has run."""
        if not self.model.EXPIRES:
            return self
        now = now or timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))

    def expired(self, now: datetime | None = None) -> Self:
        if not self.model.EXPIRES:
            return self.none()
        return self.filter(expires_at__lte=now or timezone.now())


class StateEntry(models.Model):
    """Columns both stores share. ``value`` holds the text ``state_app.codec`` encoded."""

    EXPIRES = False

    key = models.CharField(_("key"), max_length=200)
    value = models.TextField(_("value (JSON)"))
    version = models.PositiveBigIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"))

    objects = StateQuerySet.as_manager()

    class Meta:
        # No default ordering: single-key lookups stay plain; lists order by key themselves.
        abstract = True

    def __str__(self) -> str:
        return self.key

    def is_live(self, now: datetime) -> bool:
        expires_at = getattr(self, "expires_at", None)
        return expires_at is None or expires_at > now


class TaskState(StateEntry):
    EXPIRES = True

    task = models.ForeignKey(
        "tasks_app.Task",
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        related_name="state_entries",
        db_index=False,  # gtf_taskstate_unique_key starts with it
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta(StateEntry.Meta):
        verbose_name = _("task state")
        verbose_name_plural = _("task state")
        constraints = [
            models.UniqueConstraint(fields=["task", "key"], name="gtf_taskstate_unique_key")
        ]
        indexes = [models.Index(fields=["expires_at"], name="gtf_taskstate_expires")]


class AssetState(StateEntry):
    asset = models.CharField(_("asset"), max_length=255)
    updated_by_task = models.UUIDField(_("updated by task"), null=True, blank=True)
    updated_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(StateEntry.Meta):
        verbose_name = _("asset state")
        verbose_name_plural = _("asset state")
        constraints = [
            models.UniqueConstraint(fields=["asset", "key"], name="gtf_assetstate_unique_key")
        ]
