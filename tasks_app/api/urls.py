"""URLs of the task API. Mount under a prefix of your choice, e.g.
``path("api/v1/", include("tasks_app.api.urls"))``; other apps' API url modules can be
included under the same prefix."""

from rest_framework.routers import SimpleRouter

from tasks_app.api.schedules import ScheduleViewSet
from tasks_app.api.serializers import NAMESPACE
from tasks_app.api.views import TaskTypeViewSet, TaskViewSet

app_name = NAMESPACE

# SimpleRouter: no API root view, so several apps can share one prefix without clashing.
router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("task-types", TaskTypeViewSet, basename="task-type")
router.register("schedules", ScheduleViewSet, basename="schedule")

urlpatterns = router.urls
