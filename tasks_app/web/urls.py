"""URLs of the task center. Mount under a prefix of your choice, e.g.
``path("tasks/", include("tasks_app.web.urls"))``."""

from django.urls import path

from tasks_app.web import detail, listing, stream, submit, task_types

app_name = "tasks_web"

urlpatterns = [
    path("", listing.task_list, name="task-list"),
    path("events/", stream.task_events, name="task-events"),
    path("types/", task_types.type_list, name="type-list"),
    path("types/<str:name>/submit/", submit.task_submit, name="task-submit"),
    path("types/<str:name>/enabled/", task_types.type_set_enabled, name="type-enabled"),
    path("<str:task_uuid>/", detail.task_detail, name="task-detail"),
    path("<str:task_uuid>/abort/", detail.task_abort, name="task-abort"),
    path("<str:task_uuid>/leave/", detail.task_leave, name="task-leave"),
]
