"""The factories make rows the models accept as valid."""

import pytest

from tasks_app.enums import TaskStatus
from tests.factories import (
    AssetStateFactory,
    ScheduleFactory,
    TaskFactory,
    TaskStateFactory,
    TaskSubscriberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory",
    [TaskFactory, TaskSubscriberFactory, TaskStateFactory, AssetStateFactory, ScheduleFactory],
)
def test_each_factory_makes_a_valid_row(factory):
    row = factory()
    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()


def test_a_finished_task_has_an_end_and_a_pending_one_has_not():
    assert TaskFactory(status=TaskStatus.SUCCESS).ended_at is not None
    pending = TaskFactory()
    assert pending.ended_at is None and pending.started_at is None
