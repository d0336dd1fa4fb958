"""503 only when the database cannot be reached; any other database error (a migration not
applied) is a 500 with the error envelope and its traceback logged. On the test database of
the run: SQLite, PostgreSQL or MariaDB."""

import logging
import sqlite3

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.utils import DatabaseErrorWrapper
from rest_framework.test import APIClient

from tasks_app.db_errors import database_unreachable
from tasks_app.models import Task
from tests.database_states import column_renamed, database_refused

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/tasks/"


@pytest.fixture
def api(user):
    client = APIClient()  # the schema documents no 500: this checks the body itself
    client.force_authenticate(user)  # no session: the request needs the database only for tasks
    return client


def test_a_missing_column_is_a_500_with_the_traceback_logged(api, submit, user, caplog):
    submit(user)
    with column_renamed(Task, "status"), caplog.at_level(logging.ERROR, "tasks_app.api"):
        answer = api.get(URL)
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    assert "Retry-After" not in answer
    assert answer.json() == {
        "detail": "A server error occurred.",
        "code": "server_error",
        "field": None,
    }
    [record] = [r for r in caplog.records if r.name == "tasks_app.api"]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    logged = record.exc_info[1]
    assert not database_unreachable(logged)
    assert "status" in str(logged)  # the driver's own words, naming the missing column
    assert api.get(URL).status_code == 200  # renamed back: the same request works


def test_a_refused_database_is_a_503_with_retry_after(api, caplog):
    with database_refused(), caplog.at_level(logging.WARNING, "tasks_app.api"):
        answer = api.get(URL)
    assert answer.status_code == 503 and answer["Retry-After"]
    assert answer.json()["code"] == "service_unavailable"
    [record] = [r for r in caplog.records if r.name == "tasks_app.api"]
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert api.get(URL).status_code == 200


def test_a_locked_sqlite_file_is_unreachable_a_missing_table_is_not(tmp_path):
    # Driver errors as Django raises them (wrapped, the driver's error kept as the cause).
    path = tmp_path / "db.sqlite3"
    sqlite = SQLiteWrapper({"NAME": str(path)}, alias="probe")  # converts sqlite3's errors
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(Exception) as locked, DatabaseErrorWrapper(sqlite):
            waiter.execute("BEGIN IMMEDIATE")
        with pytest.raises(Exception) as missing, DatabaseErrorWrapper(sqlite):
            waiter.execute("SELECT * FROM no_such_table")
    finally:
        holder.close()
        waiter.close()
    assert "database is locked" in str(locked.value) and database_unreachable(locked.value)
    assert "no such table" in str(missing.value) and not database_unreachable(missing.value)
