"""Who may see a task through the API: one permission class per scope.

Each class applies the rule of its scope from :mod:`tasks_app.rules`, the one place that rule
is written; lookups and lists apply the same rule in SQL (``Task.objects.visible_to``,
``selectors.TaskListing``). A task
the caller may not see answers 404, never 403. Submit and abort rules are business rules and
live in :mod:`tasks_app.services`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from tasks_app import rules, selectors
from tasks_app.enums import TaskScope
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import Task


class IsActiveUser(BasePermission):
    """Signed-in, active users; anonymous callers get 401/403."""

    message = "Authentication credentials were not provided."
    code = "not_authenticated"

    def has_permission(self, request: Any, view: Any) -> bool:
        return rules.is_active_user(request.user)


class IsStaffUser(IsActiveUser):
    """Signed-in, active staff; other users get 403, anonymous callers 401/403."""

    message = "Only staff may do this."
    code = "staff_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        return rules.is_staff_user(request.user)


class HasOperatorPermission(IsActiveUser):
    """Active staff holding one of the model permissions the view names in
    ``operator_permissions`` (the rule of :func:`tasks_app.rules.has_operator_permission`);
    others get 403, anonymous callers 401/403."""

    message = "You need a permission for this."
    code = "permission_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        wanted = view.operator_permissions
        if not rules.is_active_user(request.user):
            return False
        self.message = f"This needs the permission {' or '.join(map(repr, wanted))}."
        return any(rules.has_operator_permission(request.user, p) for p in wanted)


class ScopePermission(IsActiveUser):
    """Base of the per-scope classes: the rule of :mod:`tasks_app.rules` for one scope."""

    scope: str = ""

    def has_object_permission(self, request: Any, view: Any, obj: Task) -> bool:
        return obj.scope == self.scope and selectors.may_see(request.user, obj)


class PrivateTaskPermission(ScopePermission):
    """A private task is seen by its creator and by staff."""

    scope = TaskScope.PRIVATE


class SharedTaskPermission(ScopePermission):
    """A shared task is seen by its subscribers and by staff."""

    scope = TaskScope.SHARED


class SystemTaskPermission(ScopePermission):
    """A system task is seen by staff only."""

    scope = TaskScope.SYSTEM


SCOPE_PERMISSIONS: dict[str, ScopePermission] = {
    p.scope: p for p in (PrivateTaskPermission(), SharedTaskPermission(), SystemTaskPermission())
}


class MayViewTask(IsActiveUser):
    """Signed-in users; an object (a task, or anything with a ``task``) is shown only to
    those its scope's permission class lets see the task, and answers 404 to everyone else."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        task = obj if isinstance(obj, Task) else obj.task
        rule = SCOPE_PERMISSIONS.get(task.scope)
        if rule is None or not rule.has_object_permission(request, view, task):
            raise NotFound(TaskNotFound.default_message)
        return True
