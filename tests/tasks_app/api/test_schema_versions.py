"""The schema is valid OpenAPI under drf-spectacular's default (3.0.3) and under 3.1, and
Swagger UI is served from this server's static files (it works offline)."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_schema_is_valid_under_each_openapi_version(monkeypatch, version):
    monkeypatch.setattr(spectacular_settings, "OAS_VERSION", version)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["openapi"] == version
    validate_schema(schema)  # what `manage.py spectacular --validate` checks
    validate(json.loads(json.dumps(schema, default=str)))  # a second, independent validator
    nullable_link = schema["components"]["schemas"]["PaginatedTaskList"]["properties"]["next"]
    if version == "3.0.3":
        assert nullable_link.get("nullable") is True and nullable_link["type"] == "string"
    else:
        assert nullable_link["type"] == ["string", "null"]


def test_swagger_ui_loads_nothing_from_other_hosts():
    page = Client().get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), asset  # no CDN
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
