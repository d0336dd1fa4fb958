import pytest

from tests.factories import StaffFactory, UserFactory


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
