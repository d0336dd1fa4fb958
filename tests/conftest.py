import pytest

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
