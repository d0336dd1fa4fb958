"""The audit trail: the services record each operator action here, in their transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import router, transaction
from django.utils import timezone

from tasks_app.enums import OperatorActionKind
from tasks_app.models import OperatorAction

MAX_REASON = 2000


def actor_name(user: Any) -> str:
    """How the trail names ``user`` once its account may be gone."""
    if user is None:
        return ""
    return str(user.get_username() or user.pk)


def _json(value: Any) -> Any:
    # Dates, uuids and decimals in before/after stored as the API shows them.
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    *,
    actor: Any,
    action: OperatorActionKind,
    target_type: str,
    target_id: Any = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> OperatorAction:
    """Write one row; call inside the action's ``transaction.atomic()`` so both commit or
    neither does. ``actor=None`` is the system."""
    if not transaction.get_connection(router.db_for_write(OperatorAction)).in_atomic_block:
        raise RuntimeError("record() belongs inside the transaction of the action it records.")
    return OperatorAction.objects.create(
        actor=actor,
        actor_name=actor_name(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_json(dict(before)) if before is not None else None,
        after=_json(dict(after)) if after is not None else None,
        reason=(reason or "")[:MAX_REASON],
    )


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the fields whose value differs, from each side."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def actions_prune(*, older_than_days: int, now: datetime | None = None) -> int:
    """Delete audit rows older than ``older_than_days`` days; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    return OperatorAction.objects.filter(created_at__lt=cutoff).delete()[0]
