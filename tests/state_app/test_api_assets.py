"""REST: /api/v1/assets/ and /api/v1/assets/{asset}/state/... with model permissions."""

import pytest
from django.contrib.auth.models import Permission

from state_app.models import AssetState
from state_app.stores import AssetStateStore
from tests.factories import json_pk
from tests.state_app.conftest import asset_url

pytestmark = pytest.mark.django_db


def grant(user, codename):
    user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def test_staff_crud_and_writer_recorded(api, staff, ctx):
    client = api(staff)
    created = client.put(asset_url("warehouse.orders", "watermark"), {"value": "t1"}, format="json")
    assert created.status_code == 201 and created["ETag"] == '"1"'
    body = created.json()
    assert body["updated_by_user"] == json_pk(staff) and body["updated_by_task"] is None
    assert "expires_at" not in body
    ctx.assets["warehouse.orders"].set("watermark", "t2")
    got = client.get(asset_url("warehouse.orders", "watermark")).json()
    assert got["value"] == "t2" and got["updated_by_task"] == str(ctx.uuid)
    assert got["updated_by_user"] is None and got["version"] == 2
    patched = client.patch(
        asset_url("warehouse.orders", "watermark"), {"value": "t3"}, format="json"
    )
    assert patched.status_code == 200 and patched["ETag"] == '"3"'
    stale = client.put(
        asset_url("warehouse.orders", "watermark"),
        {"value": "x"},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert stale.status_code == 412
    listing = client.get(asset_url("warehouse.orders")).json()
    assert listing["count"] == 1 and listing["results"][0]["value"] == "t3"
    assert client.delete(asset_url("warehouse.orders", "watermark")).status_code == 204
    assert client.delete(asset_url("warehouse.orders", "watermark")).status_code == 404


def test_asset_state_refuses_ttl(api, staff):
    response = api(staff).put(asset_url("orders", "k"), {"value": 1, "ttl": 60}, format="json")
    assert response.status_code == 400 and "Unknown field(s): ttl" in response.json()["detail"]


def test_asset_list_counts_keys_and_last_update(api, staff, user):
    AssetStateStore("b.orders", user=user).set("k1", 1)
    AssetStateStore("a.users", user=user).set("k1", 1)
    last = AssetStateStore("a.users", user=user).set("k2", 2)
    data = api(staff).get("/api/v1/assets/").json()
    assert data["count"] == 2
    first = data["results"][0]
    assert (first["asset"], first["keys"]) == ("a.users", 2)
    assert first["updated_at"].replace("Z", "+00:00") == last.updated_at.isoformat()
    assert data["results"][1]["asset"] == "b.orders"


def test_clear_an_asset(api, staff):
    AssetStateStore("a").set("k1", 1)
    AssetStateStore("a").set("k2", 1)
    AssetStateStore("b").set("k1", 1)
    assert api(staff).delete(asset_url("a")).status_code == 204
    assert list(AssetState.objects.values_list("asset", flat=True)) == ["b"]


def test_permissions_view_and_change(api, user):
    AssetStateStore("orders").set("k", 1)
    assert api().get("/api/v1/assets/").status_code in (401, 403)
    nobody = api(user)
    for response in (
        nobody.get("/api/v1/assets/"),
        nobody.get(asset_url("orders")),
        nobody.get(asset_url("orders", "k")),
    ):
        assert response.status_code == 403
        assert "permission to view asset state" in response.json()["detail"]
    viewer = api(grant(user, "view_assetstate"))
    assert viewer.get("/api/v1/assets/").status_code == 200
    assert viewer.get(asset_url("orders", "k")).json()["value"] == 1
    refused = viewer.put(asset_url("orders", "k"), {"value": 2}, format="json")
    assert refused.status_code == 403
    assert "permission to change asset state" in refused.json()["detail"]
    assert viewer.delete(asset_url("orders")).status_code == 403
    changer = api(grant(user, "change_assetstate"))
    assert changer.put(asset_url("orders", "k"), {"value": 2}, format="json").status_code == 200
    assert AssetStateStore("orders").get("k") == 2


def test_undecodable_asset_row_in_list(api, staff):
    AssetStateStore("orders").set("k", 1)
    AssetState.objects.update(value="NaN")  # valid for Python's json, not for JSON
    result = api(staff).get(asset_url("orders")).json()["results"][0]
    assert (result["undecodable"], result["raw"], result["value"]) == (True, "NaN", None)
