"""The API root: a map of GTF's endpoints under the mount that served it."""

from __future__ import annotations

from django.urls import NoReverseMatch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks_app import extensions
from tasks_app.api.base import GTFAPIMixin, with_errors
from tasks_app.api.links import api_reverse
from tasks_app.api.permissions import IsActiveUser

ROOT_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "string", "format": "uri"},
    "example": {"tasks": "https://example.com/api/v1/tasks/"},
}


class APIRootView(GTFAPIMixin, APIView):
    """GTF's endpoints (tasks, task types, schedules, and what other apps mount beside)."""

    permission_classes = [IsActiveUser]

    @extend_schema(
        tags=["root"],
        summary="Links to the API's endpoints",
        responses=with_errors({200: OpenApiResponse(ROOT_SCHEMA)}),
    )
    def get(self, request, **kwargs):
        links = {}
        for key, name in extensions.api_root_entries().items():
            try:
                links[key] = api_reverse(request, name)
            except NoReverseMatch:
                continue  # that app's API is not mounted here
        return Response(links)
