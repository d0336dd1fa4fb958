"""A missing or bad token answers 401 with ``WWW-Authenticate`` although the session class is
configured first; a session's CSRF failure stays 403."""

import pytest
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from tasks_app.api.views import TaskViewSet
from tests.tasks_app.api.schema_check import SchemaCheckedClient

pytestmark = pytest.mark.django_db
ENDPOINTS = [
    "/api/v1/tasks/",
    "/api/v1/task-types/",
    "/api/v1/schedules/",
    "/api/v1/assets/a1/state/",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_no_credentials_is_401_with_the_token_challenge(url):
    answer = SchemaCheckedClient().get(url)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token", "Token a b"])
def test_a_bad_token_is_401_with_the_token_challenge(header):
    client = SchemaCheckedClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    answer = client.get("/api/v1/tasks/")
    assert answer.status_code == 401 and answer["WWW-Authenticate"] == "Token"
    assert answer.json()["code"] == "authentication_failed"


def test_a_token_of_an_inactive_user_is_401(user):
    token = Token.objects.create(user=user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    client = SchemaCheckedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    answer = client.get("/api/v1/tasks/")
    assert answer.status_code == 401 and answer["WWW-Authenticate"] == "Token"


def test_a_session_without_csrf_is_403_without_a_challenge(user, null_executor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post(
        "/api/v1/tasks/", {"task_type": "t.add", "parameters": {"a": 1}}, format="json"
    )
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert "WWW-Authenticate" not in refused


def test_a_signed_in_user_refused_by_a_permission_is_403(user):
    client = SchemaCheckedClient()
    client.force_login(user)
    answer = client.post("/api/v1/schedules/", {}, format="json")  # staff only
    assert answer.status_code == 403 and "WWW-Authenticate" not in answer


def test_with_session_authentication_only_anonymous_is_403():
    # No configured class offers a challenge: 401 would need a WWW-Authenticate to send.
    view = TaskViewSet.as_view({"get": "list"}, authentication_classes=[SessionAuthentication])
    answer = view(APIRequestFactory().get("/api/v1/tasks/"))
    assert answer.status_code == 403 and "WWW-Authenticate" not in answer
