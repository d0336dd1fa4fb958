"""A task's representation, built in one go, equals DRF's walk over the declared fields."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from tasks_app.api.serializers import TaskSerializer
from tasks_app.enums import TaskScope, TaskStatus
from tasks_app.models import Task
from tasks_app.selectors import task_list_annotated
from tests.factories import TaskFactory, TaskSubscriberFactory

pytestmark = pytest.mark.django_db


def request_as(user):
    request = APIRequestFactory().get("/api/v1/tasks/")
    force_authenticate(request, user)
    return APIView().initialize_request(request)


@pytest.fixture
def varied(user, other):
    """Tasks with and without creator, progress, times, error and subscribers."""
    TaskFactory(created_by=user)
    TaskFactory(created_by=None, scope=TaskScope.SYSTEM, status=TaskStatus.IN_PROGRESS)
    TaskFactory(
        created_by=user,
        status=TaskStatus.FAILURE,
        progress_current=3,
        progress_total=10,
        progress_percent=30.0,
        error_message="boom",
        error_type="builtins.RuntimeError",
        error_traceback="Traceback ...",
        result={"rows": [1, 2]},
        task_name="Name",
        timeout=None,
    )
    shared = TaskFactory(created_by=other, scope=TaskScope.SHARED, status=TaskStatus.SUCCESS)
    TaskSubscriberFactory(task=shared, user=user)
    TaskSubscriberFactory(task=shared, user=other)


@pytest.mark.parametrize("who", ["user", "staff"])
@pytest.mark.parametrize("annotated", [True, False])
def test_each_task_equals_the_generic_representation(varied, user, staff, who, annotated):
    viewer = user if who == "user" else staff
    tasks = task_list_annotated(user=staff) if annotated else Task.objects.all()
    context = {"request": request_as(viewer)}
    for task in tasks:
        fast = TaskSerializer(task, context=context).data
        reference = serializers.ModelSerializer.to_representation(
            TaskSerializer(context=context), task
        )
        # A running task's duration grows between the two calls.
        running = fast.pop("duration_seconds"), reference.pop("duration_seconds")
        assert running[0] == pytest.approx(running[1], abs=1.0) or running == (None, None)
        assert fast == reference
