"""Who may read and change state (task visibility: docs/design.md, "Scopes and permissions")."""

from __future__ import annotations

from typing import Any


def may_change_task_state(user: Any, task) -> bool:
    """The task's creator and staff; other viewers of the task may only read."""
    return bool(user.is_staff or (task.created_by_id is not None and task.created_by_id == user.pk))


def may_view_assets(user: Any) -> bool:
    return _has(user, "state_app.view_assetstate") or may_change_assets(user)


def may_change_assets(user: Any) -> bool:
    return _has(user, "state_app.change_assetstate")


def _has(user: Any, perm: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff or user.has_perm(perm))
