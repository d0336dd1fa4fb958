"""The OpenAPI schema builds without warnings and is served; session and token sign-in."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.tasks_app.api.schema_check import SchemaCheckedClient

pytestmark = pytest.mark.django_db


def test_schema_generation_emits_no_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any warning into an error; --validate checks the OpenAPI spec.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/tasks/{uuid}/abort/" in text and "/api/v1/task-types/{name}/" in text


def test_schema_and_swagger_ui_are_served():
    client = Client()
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.1")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_token_authentication(user, null_executor):
    token = Token.objects.create(user=user)
    client = SchemaCheckedClient()
    assert client.get("/api/v1/tasks/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/tasks/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    refused = client.get("/api/v1/tasks/")
    assert refused.status_code in (401, 403) and refused.json()["detail"] == "Invalid token."


def test_session_authentication_enforces_csrf(user, null_executor):
    client = SchemaCheckedClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/tasks/").status_code == 200
    body = {"task_type": "t.add", "parameters": {"a": 1}}
    refused = client.post("/api/v1/tasks/", body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    page = client.get("/api-auth/login/")
    token = page.cookies["csrftoken"].value
    accepted = client.post("/api/v1/tasks/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_browsable_api_offers_login_link():
    page = Client().get("/api/v1/tasks/", HTTP_ACCEPT="text/html")
    assert page.status_code in (401, 403)
    assert b"href='/api-auth/login/?next=/api/v1/tasks/'>Log in" in page.content


def test_browsable_api_signed_in(user, null_executor):
    client = Client()
    client.force_login(user)
    page = client.get("/api/v1/tasks/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b"alice" in page.content


def test_anonymous_user_object_sees_nothing():
    from tasks_app.models import Task
    from tasks_app.selectors import may_see

    assert may_see(AnonymousUser(), Task(scope="shared")) is False
