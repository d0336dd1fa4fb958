"""The host project's URLs plus the raw Django-Q2 submit view the API benchmark compares with."""

from django.urls import path
from django_q.tasks import async_task
from rest_framework.decorators import api_view
from rest_framework.response import Response

from bench.harness import raw_broker
from gtf_project.urls import urlpatterns as project_urls


@api_view(["POST"])
def raw_submit(request):
    """The least a DRF endpoint that queues work does: one ``async_task`` call, on a broker
    reused as GTF reuses its own."""
    return Response({"id": async_task("bench.tasks.raw_noop", broker=raw_broker())}, status=201)


urlpatterns = [path("bench/raw-submit/", raw_submit), *project_urls]
