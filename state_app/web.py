"""The task page's section on the task's state; ``StateAppConfig.ready`` plugs it in."""

from __future__ import annotations

from typing import Any

from state_app import permissions
from state_app.stores import Entry, TaskStateStore

MAX_ENTRIES = 50


def task_state_context(*, request, task) -> dict[str, Any]:
    """The task's live entries (the first ``MAX_ENTRIES`` by key) for a user who sees it."""
    rows = TaskStateStore(task.pk).rows()
    entries = list(rows[: MAX_ENTRIES + 1])
    return {
        "entries": [Entry.from_row(row) for row in entries[:MAX_ENTRIES]],
        "more": len(entries) > MAX_ENTRIES,
        "may_change": permissions.may_change_task_state(request.user, task),
    }
