"""Reusable state queries: what is live (not expired) and what is expired."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:  # models imports this module: the base below names StateEntry quoted
    from state_app.models import StateEntry  # noqa: F401


class StateQuerySet(models.QuerySet["StateEntry"]):
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
