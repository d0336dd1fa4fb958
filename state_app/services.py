"""The stores a user may reach, by the permission rules; views and admin call these."""

from __future__ import annotations

from typing import Any

from state_app import permissions
from state_app.codec import validate_asset
from state_app.exceptions import StateForbidden
from state_app.stores import AssetStateStore, TaskStateStore
from tasks_app.selectors import task_get_visible


def task_state_store(*, user: Any, task_uuid: Any, write: bool = False) -> TaskStateStore:
    """The state of a task ``user`` may see (else :class:`TaskNotFound`, HTTP 404); with
    ``write``, only its creator and staff (else :class:`StateForbidden`)."""
    task = task_get_visible(user=user, task_uuid=task_uuid)
    if write and not permissions.may_change_task_state(user, task):
        raise StateForbidden("Only the task's creator and staff may change its state.")
    return TaskStateStore(task.pk)


def asset_state_store(*, user: Any, asset: str, write: bool = False) -> AssetStateStore:
    """The state of ``asset`` if ``user`` may view (or, with ``write``, change) asset state."""
    asset = validate_asset(asset)
    allowed = permissions.may_change_assets if write else permissions.may_view_assets
    if not allowed(user):
        action = "change" if write else "view"
        raise StateForbidden(f"You need the permission to {action} asset state.")
    return AssetStateStore(asset, user=user)
