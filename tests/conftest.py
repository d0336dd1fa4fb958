import pytest

from tasks_app.decorators import register
from tasks_app.registry import registry
from tests.factories import StaffFactory, UserFactory


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
    return StaffFactory(username="admin")


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


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
    """Deselect (not skip) PostgreSQL-only tests on another database; CI runs them on PostgreSQL."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    keep = [item for item in items if item.get_closest_marker("postgres") is None]
    dropped = [item for item in items if item.get_closest_marker("postgres") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
