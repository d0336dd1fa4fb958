"""Task and asset state stores: the services every caller uses (running tasks, REST, admin).

Each write validates through :mod:`state_app.codec` and bumps ``version`` while it holds the
row: ``set`` and ``update`` lock it and write the locked version + 1; ``patch`` and
``delete`` are conditional statements on the expected version.
Reads see only live entries: expiry is checked by every query, not left to cleanup.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, cast

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from state_app.codec import Undecodable, decode, encode, validate_asset, validate_key
from state_app.exceptions import InvalidExpiry, StateNotFound, UndecodableEntry, VersionMismatch
from state_app.models import AssetState, StateEntry, TaskState
from tasks_app import audit
from tasks_app.conf import conf
from tasks_app.exceptions import TaskNotFound
from tasks_app.models import OperatorActionKind, Task

if TYPE_CHECKING:
    from state_app.models import StateQuerySet
    from tasks_app.worker.context import TaskContext

logger = logging.getLogger("state_app.stores")

SET = OperatorActionKind.ASSET_STATE_SET
DELETE = OperatorActionKind.ASSET_STATE_DELETE
MAX_TTL = 100 * 365 * 24 * 3600
# Insert races are retried as replaces; more losses than this in a row means something else.
MAX_RETRIES = 10


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Default of ``ttl``: ``TASK_STATE_TTL`` for a new entry."""

Expected = int | Literal["*"] | None
# Runs a database call: directly, or on the helper thread of a running async task.
Caller = Callable[[Callable[[], Any]], Any]


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One state entry as read or written."""

    key: str
    value: Any
    """The decoded value, or :class:`~state_app.codec.Undecodable` for a broken row."""
    version: int
    updated_at: datetime
    expires_at: datetime | None = None
    created: bool = False
    """True when this write created the entry (or replaced an expired one)."""
    updated_by_task: Any = None
    updated_by_user_id: int | None = None

    @property
    def undecodable(self) -> bool:
        return isinstance(self.value, Undecodable)

    @property
    def json_value(self) -> Any:
        """The value, or None for an undecodable row (whose text is in :attr:`raw`)."""
        return None if self.undecodable else self.value

    @property
    def raw(self) -> str | None:
        return self.value.raw if self.undecodable else None

    @classmethod
    def from_row(cls, row: StateEntry) -> Entry:
        return cls(
            key=row.key,
            value=decode_logged(type(row), row.key, row.value),
            version=row.version,
            updated_at=row.updated_at,
            expires_at=getattr(row, "expires_at", None),
            updated_by_task=getattr(row, "updated_by_task", None),
            updated_by_user_id=getattr(row, "updated_by_user_id", None),
        )


def decode_logged(model: type[StateEntry], key: str, text: str) -> Any:
    """:func:`~state_app.codec.decode`, logging a row that does not decode."""
    value = decode(text)
    if isinstance(value, Undecodable):
        logger.warning(
            "Undecodable %s entry (key %r): %s",
            model._meta.model_name,
            key,
            value.error,
            extra={"action": "undecodable"},
        )
    return value


def expiry(ttl: Any, now: datetime) -> datetime | None:
    """``expires_at`` for ``ttl``: seconds or a timedelta, None for never, UNSET for the default."""
    if ttl is UNSET:
        ttl = conf.TASK_STATE_TTL
    if ttl is None:
        return None
    if isinstance(ttl, timedelta):
        seconds = ttl.total_seconds()
    elif isinstance(ttl, int | float) and not isinstance(ttl, bool):
        seconds = float(ttl)
    else:
        raise InvalidExpiry(
            "ttl must be a number of seconds, or null for an entry that never expires."
        )
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TTL):
        raise InvalidExpiry(f"ttl must be more than 0 and at most {MAX_TTL} seconds.")
    return now + timedelta(seconds=seconds)


class StateStore:
    """Key/value state of one owner (a task or an asset)."""

    model: type[StateEntry]
    actor: Any = None
    """A user writing by hand (REST, admin): their writes go to the audit trail."""

    def __init__(self, *, call: Caller | None = None):
        # Running async tasks pass their context's helper-thread runner (no DB in event loops).
        self._call = call or (lambda fn: fn())

    # -- what subclasses define ---------------------------------------------------------
    def _owner(self) -> dict[str, Any]:
        raise NotImplementedError

    def _writer(self) -> dict[str, Any]:
        return {}

    def _expires(self, ttl: Any, now: datetime) -> dict[str, Any]:
        if ttl is not UNSET:
            raise InvalidExpiry("Asset state does not expire: ttl is not accepted.")
        return {}

    def _owner_missing(self) -> Exception | None:
        return None

    def _audit(self, action: OperatorActionKind, **values: Any) -> None:
        """Record a write by a user, inside the write's transaction."""
        if self.actor is not None:
            owner = "/".join(str(v) for v in self._owner().values())
            audit.record(
                actor=self.actor,
                action=action,
                target_type=self.model._meta.model_name or "",
                target_id=owner,
                after=values,
            )

    # -- reads --------------------------------------------------------------------------
    def rows(self) -> StateQuerySet:
        """Live rows, by key (the REST list paginates this)."""
        return self.model.objects.filter(**self._owner()).live().order_by("key")

    def get_entry(self, key: str) -> Entry | None:
        key = validate_key(key)

        def read() -> Entry | None:
            row = self._lookup(key).first()
            return Entry.from_row(row) if row is not None and row.is_live(timezone.now()) else None

        return self._call(read)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``; an :class:`Undecodable` for a broken row."""
        key = validate_key(key)

        def read() -> Any:
            # Only the columns a value needs: this is the hot path of running tasks.
            rows = _columns(self.model, "value", *_expiry(self.model))
            found = _first(rows.filter(**self._owner(), key=key))
            if found is None:
                return default
            text, expires_at = (*found, None)[:2]
            if expires_at is not None and expires_at <= timezone.now():
                return default
            return decode_logged(self.model, key, text)

        return self._call(read)

    def _lookup(self, key: str) -> StateQuerySet:
        """The row of ``key``, live or not, by the unique index; callers test expiry on it
        exactly as :meth:`~state_app.models.StateQuerySet.live` does."""
        return self.model.objects.filter(**self._owner(), key=key)

    def entries(self) -> list[Entry]:
        return self._call(lambda: [Entry.from_row(row) for row in self.rows()])

    def items(self) -> list[tuple[str, Any]]:
        return [(e.key, e.value) for e in self.entries()]

    # -- writes -------------------------------------------------------------------------
    def set(
        self, key: str, value: Any, *, ttl: Any = UNSET, expected_version: Expected = None
    ) -> Entry:
        """Create or replace ``key``. ``expected_version``: the live version it must have,
        ``0`` for "must not exist", ``"*"`` for "must exist"; otherwise :class:`VersionMismatch`.
        """
        key, text = validate_key(key), encode(value)
        _check_expected(expected_version)
        return self._call(
            lambda: self._retrying(lambda: self._set(key, text, value, ttl, expected_version))
        )

    def compare_and_set(
        self, key: str, expected_version: int, value: Any, *, ttl: Any = UNSET
    ) -> Entry:
        """Write only if the entry is at ``expected_version`` (0: only if it does not exist)."""
        if expected_version is None:
            raise TypeError("compare_and_set needs an expected version (0: must not exist).")
        return self.set(key, value, ttl=ttl, expected_version=expected_version)

    def patch(self, key: str, value: Any, *, expected_version: Expected = None) -> Entry:
        """Replace the value of an existing entry, keeping its expiry."""
        key, text = validate_key(key), encode(value)
        _check_expected(expected_version)

        def write() -> Entry:
            now = timezone.now()
            with transaction.atomic():
                rows = self.rows().filter(key=key)
                fields = {"value": text, "updated_at": now, **self._writer()}
                if _matching(rows, expected_version).update(version=F("version") + 1, **fields):
                    # Our UPDATE holds the row lock until commit: this reads our own write.
                    row = rows.get()
                    self._audit(SET, key=key, value=value, version=row.version)
                    return self._entry(key, value, row.version, now, fields, row)
                if expected_version is not None:
                    raise VersionMismatch(expected=expected_version, current=_version(rows))
                raise StateNotFound()

        return self._call(write)

    def delete(self, key: str, *, expected_version: Expected = None) -> bool:
        """Delete ``key``; False if there was no live entry (and no version was expected)."""
        key = validate_key(key)
        _check_expected(expected_version)

        def write() -> bool:
            with transaction.atomic():
                rows = self.rows().filter(key=key)
                if _matching(rows, expected_version).delete()[0]:
                    self._audit(DELETE, key=key)
                    return True
                if expected_version is not None:
                    raise VersionMismatch(expected=expected_version, current=_version(rows))
                return False

        return self._call(write)

    def clear(self) -> int:
        """Delete every entry of this owner; returns how many rows went."""

        def write() -> int:
            with transaction.atomic():
                deleted = self.model.objects.filter(**self._owner()).delete()[0]
                if deleted:
                    self._audit(DELETE, deleted=deleted)
                return deleted

        return self._call(write)

    def update(
        self, key: str, fn: Callable[[Any], Any], *, default: Any = None, ttl: Any = UNSET
    ) -> Any:
        """Replace the value with ``fn(current)`` atomically (row locked, no lost updates);
        ``default`` is passed when the key is absent. Returns the new value.

        ``fn`` runs inside the transaction: keep it quick. A new entry gets ``ttl``; an
        existing one keeps its expiry unless ``ttl`` is given.
        """
        key = validate_key(key)
        return self._call(lambda: self._retrying(lambda: self._update(key, fn, default, ttl)))

    # -- internals ----------------------------------------------------------------------
    def _retrying(self, write: Callable[[], Any]) -> Any:
        for _ in range(MAX_RETRIES - 1):
            try:
                return write()
            except IntegrityError:
                # Lost an insert race (retry: it becomes a replace), or the owner is gone.
                missing = self._owner_missing()
                if missing is not None:
                    raise missing from None
        return write()

    def _locked(self, key: str, *, with_value: bool) -> Locked | None:
        """The row of ``key`` (live or expired), locked until the transaction ends."""
        # A set replaces the value unseen: it does not read its up to 64 KB.
        names = ("pk", "version", *_expiry(self.model), *(("value",) if with_value else ()))
        rows = _columns(self.model, *names, for_update=True)
        found = _first(rows.filter(**self._owner(), key=key))
        if found is None:
            return None
        row = dict(zip(names, found, strict=True))
        return Locked(row["pk"], row["version"], row.get("expires_at"), row.get("value"))

    def _set(self, key: str, text: str, value: Any, ttl: Any, expected: Expected) -> Entry:
        now = timezone.now()
        fields = {"value": text, "updated_at": now, **self._expires(ttl, now), **self._writer()}
        with transaction.atomic():
            row = self._locked(key, with_value=False)
            live = row is not None and row.is_live(now)
            current = row.version if row is not None and live else None
            if expected is not None:
                matches = not live if expected == 0 else live and expected in ("*", current)
                if not matches:
                    raise VersionMismatch(expected=expected, current=current)
            # An expired row is replaced as if cleanup had removed it (the entry is "created").
            entry = self._write_row(row, key, value, now, fields)
            self._audit(SET, key=key, value=value, version=entry.version)
            return entry

    def _update(self, key: str, fn: Callable[[Any], Any], default: Any, ttl: Any) -> Any:
        with transaction.atomic():
            now = timezone.now()
            row = self._locked(key, with_value=True)
            live = row is not None and row.is_live(now)
            # Locked with_value: the text of an existing row is there (the column is NOT NULL).
            current = decode(cast(str, row.value)) if row is not None and live else default
            if isinstance(current, Undecodable):
                raise UndecodableEntry(key, current.raw)
            new = fn(current)
            fields = {"value": encode(new), "updated_at": now, **self._writer()}
            if self.model.EXPIRES and (ttl is not UNSET or not live):
                fields.update(self._expires(ttl, now))
            entry = self._write_row(row, key, new, now, fields)
            self._audit(SET, key=key, value=new, version=entry.version)
            return new

    def _write_row(
        self, row: Locked | None, key: str, value: Any, now: datetime, fields: dict[str, Any]
    ) -> Entry:
        """Insert, or UPDATE the locked ``row`` to its version + 1."""
        if row is None:
            self.model.objects.create(key=key, version=1, **self._owner(), **fields)
            version = 1
        else:
            # The row is locked until commit: nobody writes between our read and this UPDATE,
            # so version + 1 is computed here (an F() expression costs more to build).
            version = row.version + 1
            self.model.objects.filter(pk=row.pk).update(version=version, **fields)
        return self._entry(key, value, version, now, fields, row)

    def _entry(
        self,
        key: str,
        value: Any,
        version: int,
        now: datetime,
        fields: dict[str, Any],
        row: Locked | StateEntry | None = None,
    ) -> Entry:
        return Entry(
            key=key,
            value=value,
            version=version,
            updated_at=now,
            expires_at=fields.get("expires_at", getattr(row, "expires_at", None)),
            created=row is None or not row.is_live(now),
            updated_by_task=fields.get("updated_by_task"),
            updated_by_user_id=fields.get("updated_by_user_id"),
        )


@functools.cache
def _columns(model: type[StateEntry], *names: str, for_update: bool = False) -> QuerySet:
    """``model``'s rows as tuples of ``names`` (locked with ``for_update``), built once: the
    hot paths of reads and writes only add the key's filter. (Chaining never changes a
    queryset, and this one is never evaluated itself.)"""
    rows = model.objects.values_list(*names)
    return rows.select_for_update() if for_update else rows


def _expiry(model: type[StateEntry]) -> tuple[str, ...]:
    return ("expires_at",) if model.EXPIRES else ()


def _first(rows: QuerySet) -> tuple[Any, ...] | None:
    """The one row the unique (owner, key) index finds, without the ORDER BY of first()."""
    return next(iter(rows[:1]), None)


class Locked(NamedTuple):
    """The locked row of a write: what deciding and writing need."""

    pk: int
    version: int
    expires_at: datetime | None
    value: str | None
    """The stored text when the write reads it (``update``), else None."""

    def is_live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


def _check_expected(expected: Expected) -> None:
    valid = (
        expected is None
        or expected == "*"
        or (isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0)
    )
    if not valid:
        raise TypeError("expected_version must be an int >= 0, '*' or None.")


def _matching(rows: StateQuerySet, expected: Expected) -> StateQuerySet:
    return rows if expected in (None, "*") else rows.filter(version=expected)


def _version(rows: StateQuerySet) -> int | None:
    return rows.values_list("version", flat=True).first()


class TaskStateStore(StateStore):
    """State of one task: kept across its retries, deleted with it, expiring per key."""

    model = TaskState

    def __init__(self, task_id: int, *, call: Caller | None = None):
        super().__init__(call=call)
        self.task_id = task_id

    @classmethod
    def for_context(cls, ctx: TaskContext) -> TaskStateStore:
        return cls(ctx.task_id, call=ctx._write_retrying)

    def _owner(self) -> dict[str, Any]:
        return {"task_id": self.task_id}

    def _expires(self, ttl: Any, now: datetime) -> dict[str, Any]:
        return {"expires_at": expiry(ttl, now)}

    def _owner_missing(self) -> Exception | None:
        if not Task.objects.filter(pk=self.task_id).exists():
            return TaskNotFound()
        return None


class AssetStateStore(StateStore):
    """State of one data asset: never expires, records who wrote last; a write by a user
    (not a running task) is recorded in the audit trail."""

    model = AssetState

    def __init__(
        self, asset: str, *, task_uuid: Any = None, user: Any = None, call: Caller | None = None
    ):
        super().__init__(call=call)
        self.asset = validate_asset(asset)
        self.task_uuid = task_uuid
        self.user_id = getattr(user, "pk", None)
        self.actor = user

    def _owner(self) -> dict[str, Any]:
        return {"asset": self.asset}

    def _writer(self) -> dict[str, Any]:
        return {"updated_by_task": self.task_uuid, "updated_by_user_id": self.user_id}


class AssetStores:
    """``ctx.assets["warehouse.orders"]``: the asset stores a running task writes as itself."""

    def __init__(self, *, task_uuid: Any = None, user: Any = None, call: Caller | None = None):
        self._kwargs = {"task_uuid": task_uuid, "user": user, "call": call}

    @classmethod
    def for_context(cls, ctx: TaskContext) -> AssetStores:
        return cls(task_uuid=ctx.uuid, call=ctx._write_retrying)

    def __getitem__(self, asset: str) -> AssetStateStore:
        return AssetStateStore(asset, **self._kwargs)


def task_state_for(ctx: Any) -> TaskStateStore:
    """``ctx.state``: the state of the running task (declared in ``StateAppConfig``)."""
    return TaskStateStore.for_context(ctx)


def assets_for(ctx: Any) -> AssetStores:
    """``ctx.assets``: asset state, written as the running task."""
    return AssetStores.for_context(ctx)
