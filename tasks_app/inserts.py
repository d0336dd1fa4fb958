"""New task rows: insert a task, or find the active one holding its dedup key, in one round
trip where the database allows.

PostgreSQL does insert-or-find-and-subscribe in one statement (``INSERT … ON CONFLICT (dedup_key)
DO NOTHING`` in a CTE); SQLite in a few statements of one transaction; other databases through
the ORM, settling the insert race in a savepoint. Either way the unique dedup key decides:
exactly one active task per key, whoever races.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connections, router, transaction
from django.db.models import DateField, Field
from django.utils import timezone

from tasks_app import sqlrows
from tasks_app.models import Task, TaskSubscriber

_INSERTED = [f for f in sqlrows.COLUMNS if not f.primary_key]
_STAMPED = {"created_at", "updated_at"}  # auto_now(_add): the time of the insert
# Fields whose pre_save only reads the attribute (Django's base behaviour).
_PLAIN = {
    f.attname
    for f in _INSERTED
    if type(f).pre_save is Field.pre_save
    or not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    and isinstance(f, DateField)
}


def _db() -> str:
    return router.db_for_write(Task)


def _values(task: Task, connection: Any) -> list[Any]:
    """The database values of one new row, in :data:`_INSERTED` order."""
    return [f.get_db_prep_save(f.pre_save(task, add=True), connection) for f in _INSERTED]


def _column_values(tasks: Sequence[Task], connection: Any, now: datetime) -> list[list[Any]]:
    """The database values of new rows, column by column (:data:`_INSERTED` order). A batch
    has one creation time."""
    out = []
    for f in _INSERTED:
        if f.attname in _STAMPED:
            for task in tasks:
                setattr(task, f.attname, now)
            values = [now] * len(tasks)
        elif f.attname in _PLAIN:
            values = [getattr(task, f.attname) for task in tasks]
        else:
            values = [f.pre_save(task, add=True) for task in tasks]
        out.append(_prep_column(f, values, connection))
    return out


def _prep_column(f: Field, values: Sequence[Any], connection: Any) -> list[Any]:
    """``values`` converted for the database; a value that repeats is converted once and is the
    very same object in each row, which lets :func:`_unnest` send a shared column once."""
    keys = [_memo_key(f, value) for value in values]
    if keys[0] is not None and keys.count(keys[0]) == len(keys):
        return [f.get_db_prep_save(values[0], connection)] * len(values)
    memo: dict[Any, Any] = {}
    column = []
    for value, key in zip(values, keys, strict=True):
        if key is None:
            column.append(f.get_db_prep_save(value, connection))
            continue
        if key not in memo:
            memo[key] = f.get_db_prep_save(value, connection)
        column.append(memo[key])
    return column


def _memo_key(f: Field, value: Any) -> Any:
    if isinstance(value, str | int | float | datetime | UUID | type(None)):
        return (type(value), value)
    if isinstance(value, dict | list) and len(value) <= 8:  # small JSON: parameters, payload
        try:
            return ("json", json.dumps(value, cls=getattr(f, "encoder", None)))
        except (TypeError, ValueError):
            return None
    return None


def insert_or_find(task: Task, *, subscriber_id: Any = None) -> tuple[Task, bool] | None:
    """Insert the unsaved ``task``, or find the active task that holds its dedup key; subscribe
    ``subscriber_id`` (if given) to whichever it is. Returns ``(task, created)``, or None when the
    holder of the key ended between the conflict and the read (try again)."""
    connection = connections[_db()]
    if connection.vendor == "postgresql":
        return _postgresql(connection, task, subscriber_id)
    if connection.vendor == "sqlite":
        return _sqlite(connection, task, subscriber_id)
    return _orm(task, subscriber_id)


def _names(connection: Any) -> tuple[str, str, str, str]:
    q = connection.ops.quote_name
    table = q(Task._meta.db_table)
    columns = ", ".join(q(f.column) for f in _INSERTED)
    returning = sqlrows.returning(connection)
    placeholders = ", ".join(["%s"] * len(_INSERTED))
    return table, columns, returning, placeholders


def _subscriber_sql(connection: Any, source: str) -> str:
    q = connection.ops.quote_name
    table = q(TaskSubscriber._meta.db_table)
    return (
        f"INSERT INTO {table} ({q('task_id')}, {q('user_id')}, {q('subscribed_at')}, "
        f"{q('task_scope')}, {q('task_created_at')}) "
        f"SELECT {q('id')}, %s, %s, {q('scope')}, {q('created_at')} FROM {source} "
        f"ON CONFLICT ({q('task_id')}, {q('user_id')}) DO NOTHING"
    )


def _saved(task: Task, pk: int, connection: Any) -> Task:
    task.pk = pk
    task._state.adding, task._state.db = False, connection.alias
    return task


@functools.cache
def _postgresql_sql(vendor_alias: str, keyed: bool, subscribe: bool) -> str:
    """The one statement of a PostgreSQL submit (built once per shape; psycopg then caches
    its parsing too, as the text stays short).

    Keyless: the INSERT, returning the new id. Keyed: the INSERT, or the row of the active task
    holding the key: the first column is the new id (NULL after a conflict), the others the
    holder's row (NULL when the insert went through). Either way the subscriber row (if any)
    goes to whichever task it is, in the same statement."""
    connection = connections[vendor_alias]
    q = connection.ops.quote_name
    table, columns, returning, placeholders = _names(connection)
    short = f"{q('id')}, {q('scope')}, {q('created_at')}"
    insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    if not keyed:
        if not subscribe:
            return f"{insert} RETURNING {q('id')}"
        return (
            f"WITH hit AS ({insert} RETURNING {short}), "
            f"sub AS ({_subscriber_sql(connection, 'hit')}) SELECT {q('id')} FROM hit"
        )
    ctes = [
        f"ins AS ({insert} ON CONFLICT ({q('dedup_key')}) DO NOTHING RETURNING {short})",
        f"old AS (SELECT {returning} FROM {table} "
        f"WHERE {q('dedup_key')} = %s AND NOT EXISTS (SELECT 1 FROM ins))",
    ]
    if subscribe:
        ctes.append(f"hit AS (SELECT {short} FROM ins UNION ALL SELECT {short} FROM old)")
        ctes.append(f"sub AS ({_subscriber_sql(connection, 'hit')})")
    return (
        f"WITH {', '.join(ctes)} SELECT (SELECT {q('id')} FROM ins), old.* "
        f"FROM (SELECT 1) AS one LEFT JOIN old ON TRUE"
    )


def _postgresql(connection: Any, task: Task, subscriber_id: Any) -> tuple[Task, bool] | None:
    keyed = task.dedup_key is not None
    sql = _postgresql_sql(connection.alias, keyed, subscriber_id is not None)
    params = _values(task, connection)
    if keyed:
        params.append(task.dedup_key)
    if subscriber_id is not None:
        params += [subscriber_id, timezone.now()]
    row = sqlrows.fetch(connection, sql, params)
    if row[0] is not None:  # the new row's id: the task is the one we built
        return _saved(task, row[0], connection), True
    if row[1] is None:  # the holder ended between the conflict and the read
        return None
    return sqlrows.tasks(connection, [row], offset=1)[0], False


def _sqlite(connection: Any, task: Task, subscriber_id: Any) -> tuple[Task, bool] | None:
    q = connection.ops.quote_name
    table, columns, returning, placeholders = _names(connection)
    conflict = f" ON CONFLICT ({q('dedup_key')}) DO NOTHING" if task.dedup_key else ""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}){conflict} "
            f"RETURNING {returning}",
            _values(task, connection),
        )
        row = cursor.fetchone()
        created = row is not None
        if row is None:
            cursor.execute(
                f"SELECT {returning} FROM {table} WHERE {q('dedup_key')} = %s", [task.dedup_key]
            )
            row = cursor.fetchone()
            if row is None:
                return None
        found = sqlrows.tasks(connection, [row])[0]
        if subscriber_id is not None:
            TaskSubscriber.objects.bulk_create(
                [TaskSubscriber.of(found, subscriber_id)], ignore_conflicts=True
            )
    return found, created


def _orm(task: Task, subscriber_id: Any) -> tuple[Task, bool] | None:
    with transaction.atomic(using=_db()):
        found, created = None, False
        if task.dedup_key is not None:
            found = Task.objects.filter(dedup_key=task.dedup_key).first()
        if found is None:
            try:
                with transaction.atomic(using=_db()):
                    task.save(force_insert=True)
            except IntegrityError:
                return None  # another caller won the insert race: read its task next time
            found, created = task, True
        if subscriber_id is not None:
            TaskSubscriber.objects.bulk_create(
                [TaskSubscriber.of(found, subscriber_id)], ignore_conflicts=True
            )
    return found, created


def insert_many(tasks: Sequence[Task]) -> dict[str, Task]:
    """Insert the unsaved ``tasks`` in one statement, skipping each whose dedup key an active
    task (or an earlier one of the batch) holds. Returns the inserted tasks by uuid.
    PostgreSQL and SQLite only: check :func:`supports_bulk` first."""
    connection = connections[_db()]
    q = connection.ops.quote_name
    table, columns, _, placeholders = _names(connection)
    by_column = _column_values(tasks, connection, timezone.now())
    if connection.vendor == "postgresql":
        source, params = _unnest(connection, _INSERTED, by_column)
    else:
        source = "VALUES " + ", ".join([f"({placeholders})"] * len(tasks))
        params = [value for row in zip(*by_column, strict=True) for value in row]
    sql = (
        f"INSERT INTO {table} ({columns}) {source} "
        f"ON CONFLICT ({q('dedup_key')}) DO NOTHING RETURNING {q('id')}, {q('uuid')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    uuid_field = Task._meta.get_field("uuid")
    by_uuid = {str(t.uuid): t for t in tasks}
    inserted = {}
    for pk, raw in returned:
        (value,) = sqlrows.convert(connection, [uuid_field], [raw])
        inserted[str(value)] = _saved(by_uuid[str(value)], pk, connection)
    return inserted


def _unnest(
    connection: Any, fields: Sequence[Field], columns: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """``SELECT`` of the rows: an array per column whose values differ, a single value for a
    column the whole batch shares (most of them: type, scope, status, creator, times), so
    that few values are sent and converted. Short whatever the batch size."""
    selected, scalars, arrays, arrayed, names = [], [], [], [], []
    for index, (f, column) in enumerate(zip(fields, columns, strict=True)):
        cast = f.db_type(connection)
        first = column[0]
        if all(value is first for value in column):
            selected.append(f"%s::{cast}")
            scalars.append(first)
        else:
            selected.append(f"u.c{index}")
            names.append(f"c{index}")
            arrays.append(f"%s::{cast}[]")
            arrayed.append(list(column))
    if not arrays:  # a batch of one
        return f"SELECT {', '.join(selected)}", scalars
    source = (
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(arrays)}) AS u({', '.join(names)})"
    )
    # The scalars sit in the SELECT list, before the arrays of FROM.
    return source, scalars + arrayed


def subscribe_many(subscriptions: Sequence[tuple[Task, Any]]) -> None:
    """Subscribe each ``(task, user_id)``; a subscription that exists already stays as it is."""
    if not subscriptions:
        return
    connection = connections[_db()]
    if connection.vendor != "postgresql":
        rows = [TaskSubscriber.of(task, user_id) for task, user_id in subscriptions]
        TaskSubscriber.objects.bulk_create(rows, ignore_conflicts=True)
        return
    q = connection.ops.quote_name
    names = ("task_id", "user_id", "subscribed_at", "task_scope", "task_created_at")
    fields = [sqlrows.column(TaskSubscriber, n) for n in names]
    now = timezone.now()
    columns = [
        [task.pk for task, _ in subscriptions],
        [user_id for _, user_id in subscriptions],
        [now] * len(subscriptions),
        [task.scope for task, _ in subscriptions],
        [task.created_at for task, _ in subscriptions],
    ]
    prepared = [_prep_column(f, c, connection) for f, c in zip(fields, columns, strict=True)]
    source, params = _unnest(connection, fields, prepared)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(TaskSubscriber._meta.db_table)} "
            f"({', '.join(q(n) for n in names)}) {source} "  # attnames are the columns
            f"ON CONFLICT ({q('task_id')}, {q('user_id')}) DO NOTHING",
            params,
        )


def supports_bulk() -> bool:
    return connections[_db()].vendor in ("postgresql", "sqlite")
