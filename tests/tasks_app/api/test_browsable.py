"""Every list and detail page of the browsable API renders as HTML (staff sees all of them)."""

import pytest
from rest_framework.test import APIClient

from tests.factories import AssetStateFactory, ScheduleFactory, TaskFactory, TaskStateFactory

pytestmark = pytest.mark.django_db


def pages(task, schedule, task_state, asset_state):
    uuid = task.uuid
    return [
        "/api/v1/",
        "/api/v1/tasks/",
        f"/api/v1/tasks/{uuid}/",
        f"/api/v1/tasks/{uuid}/status/",
        f"/api/v1/tasks/{uuid}/subscribers/",
        "/api/v1/task-types/",
        "/api/v1/task-types/t.add/",
        "/api/v1/schedules/",
        f"/api/v1/schedules/{schedule.pk}/",
        f"/api/v1/tasks/{uuid}/state/",
        f"/api/v1/tasks/{uuid}/state/{task_state.key}/",
        "/api/v1/assets/",
        f"/api/v1/assets/{asset_state.asset}/state/",
        f"/api/v1/assets/{asset_state.asset}/state/{asset_state.key}/",
    ]


@pytest.mark.parametrize("who", ["staff", "user"])
def test_every_page_renders_as_html(request, who, user):
    viewer = request.getfixturevalue(who)
    task = TaskFactory(created_by=user, scope="shared")
    task.subscribers.create(user=user)
    if who == "staff":
        task.subscribers.create(user=viewer)
    client = APIClient()
    client.force_login(viewer)
    urls = pages(task, ScheduleFactory(), TaskStateFactory(task=task), AssetStateFactory())
    for url in urls:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response["Content-Type"].startswith("text/html"), url
        # Schedules are for staff; asset state needs a permission this user lacks.
        refused = who == "user" and url.startswith(("/api/v1/schedules/", "/api/v1/assets/"))
        assert response.status_code == (403 if refused else 200), (url, response.status_code)
