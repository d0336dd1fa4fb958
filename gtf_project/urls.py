from django.contrib import admin
from django.shortcuts import redirect, render
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def landing(request):
    """Signed-in users go straight to the task center; others see how to sign in."""
    if request.user.is_authenticated:
        return redirect("tasks_web:task-list")
    return render(request, "landing.html")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("tasks/", include("tasks_app.web.urls")),
    path("api/v1/", include("tasks_app.api.urls")),
    path("api/v1/", include("state_app.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("", landing, name="landing"),
]
