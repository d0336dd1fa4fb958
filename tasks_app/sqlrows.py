"""Task rows read back by raw SQL (``RETURNING``), converted exactly as the ORM converts them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import psycopg
from django.db.models import Field, Model

from tasks_app.conf import conf
from tasks_app.models import Task

COLUMNS: list[Field] = list(Task._meta.concrete_fields)


def column(model: type[Model], name: str) -> Field:
    """``model``'s field ``name`` (or attname): raw SQL names columns, never relations."""
    return cast(Field, model._meta.get_field(name))


def fetch(connection: Any, sql: str, params: Sequence[Any], *, many: bool = False) -> Any:
    """Run one of GTF's hot statements and fetch its row (``many``: its rows).

    On PostgreSQL it runs as a prepared statement (``PREPARED_STATEMENTS``): planning a submit's
    CTE costs as much as running it. Where Django logs queries (DEBUG, tests) it goes through
    Django's cursor instead, so that it is logged like any other."""
    prepared = connection.vendor == "postgresql" and conf.PREPARED_STATEMENTS
    if not prepared or connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if many else cursor.fetchone()
    connection.ensure_connection()
    raw = connection.connection
    # Django turns psycopg's statement preparation off for the whole connection; GTF's own
    # statements turn it on for themselves, the rest of the project's queries are unchanged.
    threshold, raw.prepare_threshold = raw.prepare_threshold, 0
    try:
        with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall() if many else cursor.fetchone()
    finally:
        raw.prepare_threshold = threshold


def returning(connection: Any, fields: Sequence[Field] = COLUMNS) -> str:
    """The column list of ``fields``, quoted: for a ``RETURNING``, ``SELECT`` or ``INSERT``."""
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def convert(connection: Any, fields: Sequence[Field], row: Sequence[Any]) -> list[Any]:
    """Python values of a raw row: the backend's converters, then the field's."""
    out = []
    for f, value in zip(fields, row, strict=True):
        col = f.get_col(Task._meta.db_table)
        for converter in connection.ops.get_db_converters(col) + f.get_db_converters(connection):
            value = converter(value, col, connection)
        out.append(value)
    return out


def tasks(connection: Any, rows: Sequence[Sequence[Any]], offset: int = 0) -> list[Task]:
    """Task instances of full rows (every column, in :data:`COLUMNS` order, after ``offset``)."""
    names = [f.attname for f in COLUMNS]
    return [
        Task.from_db(connection.alias, names, convert(connection, COLUMNS, row[offset:]))
        for row in rows
    ]
