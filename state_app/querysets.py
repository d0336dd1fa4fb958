"""Reusable state queries: what is live (not expired) and what is expired."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class StateQuerySet(models.QuerySet):
    def live(self, now=None):
        """Entries a read may see: expiry is checked here, before any cleanup has run."""
        if not self.model.EXPIRES:
            return self
        now = now or timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))

    def expired(self, now=None):
        if not self.model.EXPIRES:
            return self.none()
        return self.filter(expires_at__lte=now or timezone.now())
