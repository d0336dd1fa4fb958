"""URLs of the task API. Mount under a prefix of your choice, e.g.
``path("api/v1/", include("tasks_app.api.urls"))``; other apps' API url modules can be
included under the same prefix."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from tasks_app.api.audit import OperatorActionViewSet
from tasks_app.api.root import APIRootView
from tasks_app.api.schedules import ScheduleViewSet
from tasks_app.api.serializers import NAMESPACE
from tasks_app.api.views import TaskTypeViewSet, TaskViewSet

app_name = NAMESPACE

# SimpleRouter: the root below lists other apps' endpoints too (declared on their AppConfig).
router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("task-types", TaskTypeViewSet, basename="task-type")
router.register("schedules", ScheduleViewSet, basename="schedule")
router.register("audit", OperatorActionViewSet, basename="audit")

urlpatterns = [path("", APIRootView.as_view(), name="api-root"), *router.urls]
