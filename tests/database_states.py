"""A database in a broken state for one block: a column a migration would add missing, or
no database answering at all."""

import socket
from contextlib import contextmanager

from django.db import connection


@contextmanager
def column_renamed(model, field: str):
    """The column of ``field`` renamed, as if a migration adding it had not been applied.
    Committed (MariaDB cannot roll DDL back), so renamed back afterwards."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = model._meta.get_field(field).column
    old, new = connection.ops.quote_name(column), connection.ops.quote_name(column + "_gone")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {old}")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_refused():
    """The default connection pointed where no database answers."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-gtf-dir/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
