"""Which database errors mean "the database cannot be reached now" (a 503: try again) and
which are faults of the server or its schema (a 500 with its traceback logged).

Django raises ``OperationalError`` both for a refused connection and, on SQLite and
MariaDB/MySQL, for a missing table or column; only the driver's error, kept as the
exception's cause, tells them apart.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

# PostgreSQL SQLSTATEs besides class 08 (connection exception): too many connections,
# admin/crash shutdown, cannot connect now (starting up or in recovery).
PG_UNREACHABLE = frozenset({"53300", "57P01", "57P02", "57P03"})
# MariaDB/MySQL error numbers: too many connections, server shutting down, cannot connect
# (socket, TCP, unknown host), server gone away, connection lost, closed for inactivity.
MYSQL_UNREACHABLE = frozenset({1040, 1053, 2002, 2003, 2005, 2006, 2013, 4031})
# SQLite: the file cannot be opened, or another connection holds the write lock beyond the
# busy timeout (SQLite's form of a database that refuses clients for a moment).
SQLITE_UNREACHABLE = ("unable to open database file", "database is locked")


def database_unreachable(exc: BaseException) -> bool:
    """True if ``exc`` says the database cannot be reached or refuses clients for now."""
    if isinstance(exc, InterfaceError):
        return True  # the connection is closed or unusable
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    module = type(cause).__module__.partition(".")[0]
    if module in ("psycopg", "psycopg2"):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        # No SQLSTATE: the client itself failed to connect or lost the connection.
        return state is None or state.startswith("08") or state in PG_UNREACHABLE
    if module in ("MySQLdb", "pymysql"):
        return bool(cause.args) and cause.args[0] in MYSQL_UNREACHABLE
    if module == "sqlite3":
        message = str(cause)
        return any(message.startswith(text) for text in SQLITE_UNREACHABLE)
    return False
