import os

import pytest

from tasks_app.decorators import register
from tasks_app.registry import registry
from tests.factories import OPERATOR_PERMISSIONS, StaffFactory, SuperuserFactory, UserFactory, grant

ENGINES = ("postgresql", "sqlite", "mysql")
BROKERS = ("orm", "redis")


def pytest_sessionstart(session):
    """A CI leg names the database (``GTF_EXPECT_ENGINE``) and broker (``GTF_EXPECT_BROKER``) it
    means to test: a DATABASE_URL or REDIS_URL that did not reach the settings stops the session
    here, instead of running on SQLite and the ORM with the other engine's tests deselected."""
    from django.conf import settings
    from django.db import connections

    problems = []
    expected = os.environ.get("GTF_EXPECT_ENGINE")
    if expected:
        vendor = connections["default"].vendor
        if expected not in ENGINES:
            problems.append(f"GTF_EXPECT_ENGINE={expected!r} is not one of {', '.join(ENGINES)}")
        elif vendor != expected:
            engine = settings.DATABASES["default"]["ENGINE"]
            problems.append(
                f"GTF_EXPECT_ENGINE={expected} but the default database is {engine} "
                "(is DATABASE_URL set for this run?)"
            )
    expected = os.environ.get("GTF_EXPECT_BROKER")
    if expected:
        broker = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
        if expected not in BROKERS:
            problems.append(f"GTF_EXPECT_BROKER={expected!r} is not one of {', '.join(BROKERS)}")
        elif broker != expected:
            problems.append(
                f"GTF_EXPECT_BROKER={expected} but Q_CLUSTER uses {broker} "
                "(is REDIS_URL set for this run?)"
            )
    if problems:
        raise pytest.UsageError("; ".join(problems))


def pytest_report_header(config):
    from django.conf import settings
    from django.db import connections

    broker = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
    required = "required" if os.environ.get("GTF_REQUIRE_SERVICES") == "1" else "optional"
    return f"GTF: database {connections['default'].vendor}, broker {broker}, programs {required}"


@pytest.fixture(scope="session")
def require_service():
    """``require_service(name, available, hint)``: a test that needs a program the machine lacks
    fails when ``GTF_REQUIRE_SERVICES=1`` (CI, which installs it), and is skipped otherwise."""

    def check(name: str, available: bool, hint: str) -> None:
        if available:
            return
        message = f"{name} is missing: {hint}"
        if os.environ.get("GTF_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message} (GTF_REQUIRE_SERVICES=1: CI expects it)", pytrace=False)
        pytest.skip(message)

    return check


@pytest.fixture(autouse=True)
def fresh_type_switch():
    """Each test reads the enabled switch from its own database state (rolled back after)."""
    from tasks_app.availability import switch

    switch.invalidate()
    yield
    switch.invalidate()


@pytest.fixture
def user(db):
    return UserFactory(username="alice")


@pytest.fixture
def other(db):
    return UserFactory(username="bob")


@pytest.fixture
def third(db):
    return UserFactory(username="carol")


@pytest.fixture
def staff(db):
    """A staff operator: staff status and every permission GTF's operator actions need."""
    return grant(StaffFactory(username="admin"), *OPERATOR_PERMISSIONS)


@pytest.fixture
def superuser(db):
    return SuperuserFactory(username="root")


@pytest.fixture
def admin_client_su(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a schema-checked API client signed in as ``user`` (None: anonymous)."""
    from tests.tasks_app.api.schema_check import SchemaCheckedClient

    def make(user=None) -> SchemaCheckedClient:
        client = SchemaCheckedClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def null_executor(settings):
    """Submitted tasks stay PENDING (nothing runs them)."""
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}


@pytest.fixture
def temporary_type():
    """Register ``tmp.job`` for one test; the test may unregister it to make it an orphan."""

    def job(n: int = 1) -> int:
        return n

    register(job, name="tmp.job", scope="shared")
    yield "tmp.job"
    registry.unregister("tmp.job")


def pytest_collection_modifyitems(config, items):
    """Deselect (not skip) tests the database cannot run: PostgreSQL-only tests elsewhere, tests
    of row locks on SQLite, of INSERT … RETURNING on MariaDB. CI runs each on a database that
    has what it needs, and says which (``GTF_EXPECT_ENGINE``, checked at session start)."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    unsupported = set()
    if "postgresql" not in engine:
        unsupported.add("postgres")
    if "sqlite" in engine:
        unsupported.add("row_locks")
    if "mysql" in engine:
        unsupported.add("returning")

    def runs(item) -> bool:
        return not any(item.get_closest_marker(name) for name in unsupported)

    keep = [item for item in items if runs(item)]
    dropped = [item for item in items if not runs(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
