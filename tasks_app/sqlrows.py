"""Task rows read back by raw SQL (``RETURNING``), converted exactly as the ORM converts them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Field

from tasks_app.models import Task

COLUMNS: list[Field] = list(Task._meta.concrete_fields)


def returning(connection: Any, fields: Sequence[Field] = COLUMNS) -> str:
    """The column list of a ``RETURNING`` (or ``SELECT``) of ``fields``."""
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
