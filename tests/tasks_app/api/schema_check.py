"""Checks every API answer the tests receive against the app's own OpenAPI schema."""

from __future__ import annotations

import json
from functools import cache

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from rest_framework.test import APIClient

API_PREFIX = "/api/v1/"


@cache
def openapi_dict() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(openapi_dict())


def validate_response(response) -> None:
    """Raise if ``response`` (to a request under ``/api/v1/``) does not fit the schema."""
    request = response.wsgi_request
    if not request.path.startswith(API_PREFIX):
        return
    content_type = response.get("Content-Type", "").split(";")[0]
    openapi().validate_response(
        MockRequest("http://testserver", request.method, request.path),
        MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.headers),
            content_type=content_type,
        ),
    )


class SchemaCheckedClient(APIClient):
    """DRF's test client; each answer is checked against the OpenAPI schema."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        validate_response(response)
        return response
