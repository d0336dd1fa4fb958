"""Reads across stores: which assets have state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Max, QuerySet

from state_app import permissions
from state_app.exceptions import StateForbidden
from state_app.models import AssetState


def asset_summaries(*, user: Any) -> QuerySet[AssetState, Mapping[str, Any]]:
    """One row per asset with state: ``{"asset", "keys", "updated_at"}``, by name."""
    if not permissions.may_view_assets(user):
        raise StateForbidden("You need the permission to view asset state.")
    return (
        AssetState.objects.order_by("asset")
        .values("asset")
        .annotate(keys=Count("id"), updated_at=Max("updated_at"))
    )
