from django.urls import path

from state_app.api import views

app_name = "gtf_state"

urlpatterns = [
    path("tasks/<str:task_uuid>/state/", views.TaskStateListView.as_view(), name="task-state"),
    path(
        "tasks/<str:task_uuid>/state/<str:key>/",
        views.TaskStateEntryView.as_view(),
        name="task-state-entry",
    ),
    path("assets/", views.AssetListView.as_view(), name="assets"),
    path("assets/<str:asset>/state/", views.AssetStateListView.as_view(), name="asset-state"),
    path(
        "assets/<str:asset>/state/<str:key>/",
        views.AssetStateEntryView.as_view(),
        name="asset-state-entry",
    ),
]
