"""Who may do what: the access rules every face applies (API, pages, admin, commands).

``user=None`` is a trusted caller (Python code, a management command, a schedule). The rule
of which tasks a user sees exists three times by nature: here for one loaded task, and as
SQL in :meth:`tasks_app.models.TaskQuerySet.visible_to` (finding a task) and
:class:`tasks_app.selectors.TaskListing` (pages); the tests hold them equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from tasks_app.conf import conf
from tasks_app.enums import TaskScope
from tasks_app.exceptions import StaffRequired


class TaskLike(Protocol):
    scope: str
    created_by_id: Any


def is_active_user(user: Any) -> bool:
    """Signed in and active."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff_user(user: Any) -> bool:
    """Signed in, active and staff."""
    return is_active_user(user) and bool(user.is_staff)


def require_staff(user: Any, message: str = "Only staff may do this.") -> None:
    """Raise :class:`StaffRequired` unless ``user`` is staff or a trusted caller (None)."""
    if user is not None and not is_staff_user(user):
        raise StaffRequired(message)


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
