"""Who may see a task, one permission class per scope (DESIGN §5).

Lists are filtered by ``Task.objects.visible_to`` in SQL; these classes make the same
decision for one loaded task. A task the caller may not see answers 404, never 403.
Submit and abort rules are business rules and live in :mod:`tasks_app.services`.

Other apps' endpoints nested under a task (state, subscribers) reuse :class:`MayViewTask`
or :func:`get_visible_task`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from tasks_app import selectors
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import Task, TaskScope


def is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


class IsActiveUser(BasePermission):
    """Signed-in, active users; anonymous callers get 401/403."""

    message = "Authentication credentials were not provided."
    code = "not_authenticated"

    def has_permission(self, request, view) -> bool:
        return is_active_user(request.user)


class IsStaffUser(IsActiveUser):
    """Signed-in, active staff; other users get 403, anonymous callers 401/403."""

    message = "Only staff may do this."
    code = "staff_required"

    def has_permission(self, request, view) -> bool:
        return is_active_user(request.user) and bool(request.user.is_staff)


class ScopePermission(IsActiveUser):
    """Base of the per-scope classes: ``may_see`` decides for one task of that scope."""

    scope: str = ""

    def may_see(self, user: Any, task: Task) -> bool:
        raise NotImplementedError("Each scope says who may see its tasks.")

    def has_object_permission(self, request, view, obj) -> bool:
        return is_active_user(request.user) and self.may_see(request.user, obj)


class PrivateTaskPermission(ScopePermission):
    """A private task is seen by its creator and by staff."""

    scope = TaskScope.PRIVATE

    def may_see(self, user: Any, task: Task) -> bool:
        return user.is_staff or task.created_by_id == user.pk


class SharedTaskPermission(ScopePermission):
    """A shared task is seen by its subscribers and by staff."""

    scope = TaskScope.SHARED

    def may_see(self, user: Any, task: Task) -> bool:
        if user.is_staff:
            return True
        subscribed = getattr(task, "is_subscribed", None)  # annotated by the list selector
        if subscribed is None:
            subscribed = selectors.is_subscribed(task=task, user=user)
        return bool(subscribed)


class SystemTaskPermission(ScopePermission):
    """A system task is seen by staff only."""

    scope = TaskScope.SYSTEM

    def may_see(self, user: Any, task: Task) -> bool:
        return bool(user.is_staff)


SCOPE_PERMISSIONS: dict[str, ScopePermission] = {
    p.scope: p for p in (PrivateTaskPermission(), SharedTaskPermission(), SystemTaskPermission())
}


def may_see_task(user: Any, task: Task) -> bool:
    """Whether ``user`` may see ``task``, by the rule of the task's scope."""
    rule = SCOPE_PERMISSIONS.get(task.scope)
    return is_active_user(user) and rule is not None and rule.may_see(user, task)


class MayViewTask(IsActiveUser):
    """Signed-in users; an object (a task, or anything with a ``task``) is shown only to
    those its scope lets see the task, and answers 404 to everyone else."""

    def has_object_permission(self, request, view, obj) -> bool:
        task = obj if isinstance(obj, Task) else obj.task
        if not may_see_task(request.user, task):
            raise NotFound(TaskNotFound.default_message)
        return True


def get_visible_task(request, task_uuid: Any) -> Task:
    """The task ``task_uuid`` if the caller may see it; raises ``TaskNotFound`` (404) if not,
    or if ``task_uuid`` is not a uuid."""
    return selectors.task_get_visible(user=request.user, task_uuid=task_uuid)
