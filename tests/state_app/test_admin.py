"""Admin forms validate through the state codec and write through the stores."""

import pytest
from django.utils import timezone

from state_app.models import AssetState, TaskState
from tests.state_app.conftest import context_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    root = superuser
    client.force_login(root)
    client.root = root
    return client


def add_task_state(client, task, key, value, expires_at=""):
    return client.post(
        "/admin/state_app/taskstate/add/",
        {"task": task.pk, "key": key, "value": value, "expires_at_0": "", "expires_at_1": ""}
        if not expires_at
        else {"task": task.pk, "key": key, "value": value, **expires_at},
    )


def test_add_and_change_task_state(admin_client, task):
    response = add_task_state(admin_client, task, "cursor", '{"page": 1}')
    assert response.status_code == 302, response.content.decode()[:2000]
    row = TaskState.objects.get()
    assert (row.version, row.expires_at) == (1, None)
    assert context_for(task).state.get("cursor") == {"page": 1}
    page = admin_client.get(f"/admin/state_app/taskstate/{row.pk}/change/")
    assert page.status_code == 200 and "&quot;page&quot;: 1" in page.content.decode()
    changed = admin_client.post(
        f"/admin/state_app/taskstate/{row.pk}/change/",
        {"value": "[1, 2]", "expires_at_0": "", "expires_at_1": ""},
    )
    assert changed.status_code == 302
    row.refresh_from_db()
    assert row.version == 2 and context_for(task).state.get("cursor") == [1, 2]


@pytest.mark.parametrize(
    "value,message",
    [
        ("null", "cannot be null at the top level"),
        ('{"a": [NaN]}', "NaN and Infinity are not valid"),
        ('{"a": "x\\u0000"}', "NUL character"),
        ("[" * 40 + "]" * 40, "nested deeper than 32 levels"),
        ("{nope", "Not JSON"),
    ],
)
def test_admin_refuses_with_the_validator_message(admin_client, task, value, message):
    response = add_task_state(admin_client, task, "k", value)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert TaskState.objects.count() == 0


def test_admin_refuses_bad_keys_and_live_duplicates(admin_client, task):
    response = add_task_state(admin_client, task, "a/b", "1")
    assert "must not contain &#x27;/&#x27;" in response.content.decode()
    context_for(task).state.set("taken", 1)
    response = add_task_state(admin_client, task, "taken", "2")
    assert "An entry with this key exists" in response.content.decode()
    assert context_for(task).state.get("taken") == 1


def test_admin_add_with_expiry(admin_client, task):
    later = timezone.now() + timezone.timedelta(days=1)
    response = add_task_state(
        admin_client,
        task,
        "k",
        "1",
        {"expires_at_0": later.strftime("%Y-%m-%d"), "expires_at_1": later.strftime("%H:%M:%S")},
    )
    assert response.status_code == 302
    assert abs((TaskState.objects.get().expires_at - later).total_seconds()) < 5


def test_asset_admin_records_the_user(admin_client):
    response = admin_client.post(
        "/admin/state_app/assetstate/add/", {"asset": "orders", "key": "w", "value": '"t1"'}
    )
    assert response.status_code == 302
    row = AssetState.objects.get()
    assert row.updated_by_user_id == admin_client.root.pk and row.value == '"t1"'
    bad = admin_client.post(
        "/admin/state_app/assetstate/add/", {"asset": "bad name", "key": "w", "value": "1"}
    )
    assert "letters, digits and _ . - : only" in bad.content.decode()
    assert admin_client.get("/admin/state_app/assetstate/").status_code == 200
    assert admin_client.get("/admin/state_app/taskstate/").status_code == 200


def test_admin_add_replaces_an_expired_entry(admin_client, task):
    context_for(task).state.set("k", "old")
    TaskState.objects.update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    assert add_task_state(admin_client, task, "k", '"new"').status_code == 302
    row = TaskState.objects.get()
    assert (row.version, row.value) == (2, '"new"')
