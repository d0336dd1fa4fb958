import pytest

from tasks_app.decorators import register
from tasks_app.registry import registry
from tests.factories import OPERATOR_PERMISSIONS, StaffFactory, SuperuserFactory, UserFactory, grant


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
    has what it needs."""
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
