"""A host using DRF's NamespaceVersioning: GTF's url modules inside a ``v2`` namespace."""

from django.urls import include, path

v2 = ([path("", include("tasks_app.api.urls")), path("", include("state_app.api.urls"))], "v2")
urlpatterns = [path("api/v2/", include(v2, namespace="v2"))]
