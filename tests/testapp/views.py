"""A view that enqueues through Django's standard tasks API, as host projects do."""

from django.http import HttpRequest, JsonResponse

from tests.testapp import django_api


def enqueue_slow_step(request: HttpRequest) -> JsonResponse:
    result = django_api.slow_step.enqueue(
        request.GET.get("marker", "view"), seconds=float(request.GET.get("seconds", "1"))
    )
    return JsonResponse({"id": result.id, "status": result.status}, status=202)
