"""Who may do what: the access rules every face applies (API, pages, admin, commands).

``user=None`` is a trusted caller (Python code, a management command, a schedule of no owner).
Operator actions need staff status *and* the model permission the admin would ask for
(:func:`require_permission`); staff status alone only lets a user see. The rule
of which tasks a user sees exists three times by nature: here for one loaded task, and as
SQL in :meth:`tasks_app.models.TaskQuerySet.visible_to` (finding a task) and
:class:`tasks_app.selectors.TaskListing` (pages); the tests hold them equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tasks_app.conf import conf
from tasks_app.enums import TaskScope
from tasks_app.exceptions import PermissionRequired

# What each operator action needs: the model permission the admin asks for the same change.
CHANGE_TASK_TYPE = "tasks_app.change_tasktype"
ADD_SCHEDULE = "tasks_app.add_schedule"
CHANGE_SCHEDULE = "tasks_app.change_schedule"
DELETE_SCHEDULE = "tasks_app.delete_schedule"
VIEW_SCHEDULE = "tasks_app.view_schedule"
FORCE_ABORT_TASK = "tasks_app.force_abort_task"
RERUN_TASK = "tasks_app.rerun_task"
DELETE_TASK = "tasks_app.delete_task"
VIEW_OPERATOR_ACTION = "tasks_app.view_operatoraction"


class TaskLike(Protocol):
    scope: str
    created_by_id: Any


def is_active_user(user: Any) -> bool:
    """Signed in and active."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff_user(user: Any) -> bool:
    """Signed in, active and staff."""
    return is_active_user(user) and bool(user.is_staff)


def has_operator_permission(user: Any, permission: str) -> bool:
    """Active staff holding ``permission`` (superusers hold all); ``None`` is the system."""
    if user is None:
        return True
    return is_staff_user(user) and bool(user.has_perm(permission))


def require_permission(user: Any, permission: str, message: str | None = None) -> None:
    """Raise :class:`PermissionRequired` unless :func:`has_operator_permission`."""
    if not has_operator_permission(user, permission):
        raise PermissionRequired(permission, message)


def may_see_traceback(user: Any) -> bool:
    """Tracebacks are shown to staff only, and only while ``EXPOSE_TRACEBACKS`` is on."""
    return bool(conf.EXPOSE_TRACEBACKS) and is_staff_user(user)


def may_see(user: Any, task: TaskLike, *, is_subscribed: Callable[[], bool]) -> bool:
    """Whether ``user`` may see ``task``: staff see all; a private task is seen by its creator,
    a shared one by its subscribers (``is_subscribed`` is asked only then), a system one by
    staff only."""
    if not is_active_user(user):
        return False
    if user.is_staff:
        return True
    if task.scope == TaskScope.PRIVATE:
        return task.created_by_id is not None and task.created_by_id == user.pk
    if task.scope == TaskScope.SHARED:
        return is_subscribed()
    return False
