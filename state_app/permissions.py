"""Who may read and change state (task visibility: docs/design.md, "Scopes and permissions")."""

from __future__ import annotations

from typing import Any


def may_change_task_state(user: Any, task) -> bool:
    """The task's creator and staff; other viewers of the task may only read."""
    return bool(user.is_staff or (task.created_by_id is not None and task.created_by_id == user.pk))


def may_view_assets(user: Any) -> bool:
    """Staff, or anyone holding the view (or change) permission."""
    if not _active(user):
        return False
    return bool(user.is_staff or user.has_perm("state_app.view_assetstate")) or may_change_assets(
        user
    )


def may_change_assets(user: Any) -> bool:
    """The change permission: staff status alone is not enough (a write is an operator action,
    recorded in the audit trail)."""
    return _active(user) and bool(user.has_perm("state_app.change_assetstate"))


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)
