"""The state API's OpenAPI schema generates without warnings (drf-spectacular)."""

from django.urls import include, path


def test_schema_has_every_operation_and_no_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include("state_app.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (
        dict(GENERATOR_STATS._warn_cache),
        dict(GENERATOR_STATS._error_cache),
    )
    paths = schema["paths"]
    entry = paths["/api/v1/tasks/{task_uuid}/state/{key}/"]
    assert {"get", "put", "patch", "delete"} <= set(entry)
    put = entry["put"]
    assert set(put["responses"]) == {"200", "201", "400", "401", "403", "404", "412", "503"}
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in put["parameters"])
    page = schema["components"]["schemas"]["TaskStatePage"]["properties"]
    assert set(page) == {"count", "next", "previous", "results"}
    assert {"/api/v1/assets/", "/api/v1/assets/{asset}/state/"} <= set(paths)
