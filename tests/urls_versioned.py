"""A host using DRF's URLPathVersioning: GTF mounted under ``<version>``."""

from django.urls import include, path

urlpatterns = [
    path("api/<str:version>/", include("tasks_app.api.urls")),
    path("api/<str:version>/", include("state_app.api.urls")),
]
