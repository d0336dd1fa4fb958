"""URLs of the task center. Mount under a prefix of your choice, e.g.
``path("tasks/", include("tasks_app.web.urls"))``."""

from django.urls import path

from tasks_app.web import detail, listing, stream, submit, task_types
from tasks_app.web.errors import database_guard as guard

app_name = "tasks_web"

# Every page answers a 503 page while the database cannot be reached (see web.errors).
urlpatterns = [
    path("", guard(listing.task_list), name="task-list"),
    path("events/", guard(stream.task_events), name="task-events"),
    path("types/", guard(task_types.type_list), name="type-list"),
    path("types/<str:name>/submit/", guard(submit.task_submit), name="task-submit"),
    path("types/<str:name>/enabled/", guard(task_types.type_set_enabled), name="type-enabled"),
    path("<str:task_uuid>/", guard(detail.task_detail), name="task-detail"),
    path("<str:task_uuid>/abort/", guard(detail.task_abort), name="task-abort"),
    path("<str:task_uuid>/leave/", guard(detail.task_leave), name="task-leave"),
]
