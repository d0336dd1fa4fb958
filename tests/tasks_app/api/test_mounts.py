"""GTF's API works wherever and however the host mounts it: a prefix of its own, the same
module twice, an instance namespace, DRF's URL-path or namespace versioning. Links and the
API root follow the mount that served the request."""

import pytest
from rest_framework import versioning
from rest_framework.test import APIClient
from rest_framework.views import APIView

pytestmark = pytest.mark.django_db
HOST = "http://testserver"


@pytest.fixture
def api(staff, null_executor):
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def host_versioning(monkeypatch):
    """The host's REST_FRAMEWORK["DEFAULT_VERSIONING_CLASS"] and ["ALLOWED_VERSIONS"], as DRF
    reads them: into APIView and the versioning class when they are imported."""

    def use(scheme):
        strict = type(f"Host{scheme.__name__}", (scheme,), {"allowed_versions": ["v2", "v3"]})
        monkeypatch.setattr(APIView, "versioning_class", strict)

    return use


def submit(api, prefix):
    r = api.post(f"{prefix}tasks/", {"task_type": "t.add", "parameters": {"a": 1}}, format="json")
    assert r.status_code == 201, r.content
    return r


def assert_links_under(body, prefix):
    uuid = body["uuid"]
    links = body["links"]
    assert links["self"] == f"{HOST}{prefix}tasks/{uuid}/"
    assert links["status"] == f"{HOST}{prefix}tasks/{uuid}/status/"
    assert links["abort"] == f"{HOST}{prefix}tasks/{uuid}/abort/"
    assert all(url.startswith(f"{HOST}{prefix}tasks/{uuid}/") for url in links.values()), links


def walk(api, prefix, uuid, *, state=True):
    """Every read endpoint answers 200 under ``prefix``."""
    paths = [
        "",
        "tasks/",
        f"tasks/{uuid}/",
        f"tasks/{uuid}/status/",
        f"tasks/{uuid}/subscribers/",
        "task-types/",
        "task-types/t.add/",
        "schedules/",
    ]
    if state:
        paths += [f"tasks/{uuid}/state/", "assets/"]
    for path in paths:
        r = api.get(f"{prefix}{path}")
        assert r.status_code == 200, (path, r.status_code, r.content[:200])


@pytest.mark.urls("tests.urls_versioned")
def test_url_path_versioning_with_the_version_in_the_mount(api, host_versioning):
    host_versioning(versioning.URLPathVersioning)
    created = submit(api, "/api/v2/")
    assert created["Location"] == f"{HOST}/api/v2/tasks/{created.json()['uuid']}/"
    assert_links_under(created.json(), "/api/v2/")
    walk(api, "/api/v2/", created.json()["uuid"])
    assert api.get("/api/v2/").json() == {
        "tasks": f"{HOST}/api/v2/tasks/",
        "task-types": f"{HOST}/api/v2/task-types/",
        "schedules": f"{HOST}/api/v2/schedules/",
        "audit": f"{HOST}/api/v2/audit/",
        "assets": f"{HOST}/api/v2/assets/",
    }


@pytest.mark.parametrize(
    "scheme",
    [versioning.URLPathVersioning, versioning.NamespaceVersioning, versioning.HostNameVersioning],
)
def test_host_versioning_without_a_version_in_the_mount(api, host_versioning, scheme):
    host_versioning(scheme)
    uuid = submit(api, "/api/v1/").json()["uuid"]
    walk(api, "/api/v1/", uuid)


@pytest.mark.urls("tests.urls_namespaced")
def test_namespace_versioning(api, host_versioning):
    host_versioning(versioning.NamespaceVersioning)
    body = submit(api, "/api/v2/").json()
    assert_links_under(body, "/api/v2/")
    walk(api, "/api/v2/", body["uuid"])
    assert api.get("/api/v2/").json()["assets"] == f"{HOST}/api/v2/assets/"


@pytest.mark.urls("tests.urls_mounts")
@pytest.mark.parametrize("prefix", ["/api/v1/", "/ops/tasks-api/", "/named/"])
def test_links_follow_the_mount_that_served_the_request(api, prefix):
    body = submit(api, prefix).json()
    assert_links_under(body, prefix)
    assert_links_under(api.get(f"{prefix}tasks/{body['uuid']}/").json(), prefix)
    listed = api.get(f"{prefix}tasks/").json()["results"][0]
    assert_links_under(listed, prefix)
    walk(api, prefix, body["uuid"], state=False)
    root = api.get(prefix).json()
    assert root["tasks"] == f"{HOST}{prefix}tasks/"
    # State is mounted once, beside the first mount: the root points there, not beside this.
    assert root["assets"] == f"{HOST}/api/v1/assets/"


def test_api_root_lists_the_endpoints(client_for, user):
    r = client_for(user).get("/api/v1/")
    assert r.status_code == 200
    assert r.json() == {
        "tasks": f"{HOST}/api/v1/tasks/",
        "task-types": f"{HOST}/api/v1/task-types/",
        "schedules": f"{HOST}/api/v1/schedules/",
        "audit": f"{HOST}/api/v1/audit/",
        "assets": f"{HOST}/api/v1/assets/",
    }
    anonymous = client_for(None).get("/api/v1/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
