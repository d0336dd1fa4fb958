"""A host that mounts GTF's API twice: once more under the same namespace, once under an
instance namespace of its own (tests/tasks_app/api/test_mounts.py)."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("tasks_app.api.urls")),
    path("api/v1/", include("state_app.api.urls")),
    path("ops/tasks-api/", include("tasks_app.api.urls")),
    path("named/", include("tasks_app.api.urls", namespace="named")),
]
