"""Every rejected value and key, through REST and through the running-task API, answering
with the state validator's own message (a test that passes without it is a defect)."""

import json
import sys

import pytest

from state_app.exceptions import InvalidKey, InvalidValue
from state_app.models import AssetState, TaskState
from tests.state_app.conftest import asset_url, entry_url

pytestmark = pytest.mark.django_db


def nested(levels: int):
    value = "x"
    for _ in range(levels):
        value = [value]
    return value


DEEP = {"a": nested(32)}  # 33 levels with the object
VALUES = [
    pytest.param(None, "null", "cannot be null at the top level", id="top-level-null"),
    pytest.param(
        {"a": [1, {"b": float("nan")}]}, "nan", "NaN and Infinity are not valid", id="nested-nan"
    ),
    pytest.param([{"x": float("inf")}], "nan", "NaN and Infinity are not valid", id="nested-inf"),
    pytest.param({"a": {"b": ["fine", "nul\x00"]}}, "nul", "NUL character", id="nested-nul"),
    pytest.param({"k\x00": 1}, "nul", "Object keys must not contain the NUL", id="nul-in-key"),
    pytest.param("x" * 70000, "size", "the limit (MAX_VALUE_BYTES) is 65535", id="oversize"),
    pytest.param(DEEP, "depth", "nested deeper than 32 levels", id="too-deep"),
    pytest.param(
        {"a": ["ok", "lone\ud800"]},
        "unicode",
        "no lone surrogate characters) (at $['a'][1])",
        id="lone-surrogate",
    ),
    pytest.param({"a": {"\udfff": 1}}, "unicode", "(at $['a'])", id="lone-surrogate-in-key"),
]


def rest_body(value) -> str:
    # Written by hand: NaN/Infinity are what a non-strict client (e.g. JavaScript) may send.
    return json.dumps({"value": value}, allow_nan=True)


@pytest.mark.parametrize("value,rule,message", VALUES)
def test_rejected_through_rest_task_state(api, user, task, value, rule, message):
    response = api(user).generic(
        "PUT", entry_url(task, "k"), rest_body(value), content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"]
    assert (body["field"], body["code"]) == ("value", rule)
    assert TaskState.objects.count() == 0


@pytest.mark.parametrize("value,rule,message", VALUES)
def test_rejected_through_rest_patch_and_asset_state(
    api, user, staff, task, ctx, value, rule, message
):
    ctx.state.set("k", "before")
    patch = api(user).generic(
        "PATCH", entry_url(task, "k"), rest_body(value), content_type="application/json"
    )
    assert patch.status_code == 400 and message in patch.json()["detail"]
    assert ctx.state.get("k") == "before"
    asset = api(staff).generic(
        "PUT", asset_url("orders", "k"), rest_body(value), content_type="application/json"
    )
    assert asset.status_code == 400 and message in asset.json()["detail"]
    assert asset.json()["code"] == rule
    assert AssetState.objects.count() == 0


@pytest.mark.parametrize("value,rule,message", VALUES)
def test_rejected_through_the_running_task_api(ctx, value, rule, message):
    for write in (
        lambda: ctx.state.set("k", value),
        lambda: ctx.state.compare_and_set("k", 0, value),
        lambda: ctx.state.update("k", lambda _: value),
        lambda: ctx.assets["orders"].set("k", value),
    ):
        with pytest.raises(InvalidValue) as exc:
            write()
        assert message in exc.value.message and exc.value.rule == rule
    assert TaskState.objects.count() == 0 and AssetState.objects.count() == 0


BAD_KEYS = [
    pytest.param("k" * 201, "1 to 200 characters", id="too-long"),
    pytest.param("tab\there", "control or unprintable", id="control"),
    pytest.param("nul\x00", "NUL character", id="nul"),
]


@pytest.mark.parametrize("key,message", BAD_KEYS)
def test_bad_key_through_rest_and_running_task(api, user, task, ctx, key, message):
    from urllib.parse import quote

    response = api(user).put(entry_url(task, quote(key, safe="")), {"value": 1}, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"] and response.json()["field"] == "key"
    with pytest.raises(InvalidKey, match=message):
        ctx.state.set(key, 1)
    with pytest.raises(InvalidKey, match=message):
        ctx.assets["orders"].set(key, 1)
    assert TaskState.objects.count() == 0


def test_slash_in_a_key_cannot_be_written(api, user, task, ctx):
    # "/" separates path segments, so a REST key never contains it; the store refuses it too.
    response = api(user).put(entry_url(task, "a%2Fb"), {"value": 1}, format="json")
    assert response.status_code == 404
    with pytest.raises(InvalidKey, match="must not contain '/'"):
        ctx.state.set("a/b", 1)
    assert TaskState.objects.count() == 0


def test_bad_asset_name_through_rest_and_running_task(api, staff, ctx):
    response = api(staff).put(asset_url("bad name!", "k"), {"value": 1}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "asset"
    assert "letters, digits and _ . - : only" in response.json()["detail"]
    with pytest.raises(InvalidKey, match="letters, digits and _ . - : only"):
        ctx.assets["bad name!"].set("k", 1)


def test_a_value_deeper_than_python_can_recurse_is_refused_by_its_rule(ctx):
    with pytest.raises(InvalidValue, match="nested deeper than 32 levels") as exc:
        ctx.state.set("k", nested(sys.getrecursionlimit() * 10))
    assert exc.value.rule == "depth"
    assert TaskState.objects.count() == 0


def test_a_non_string_key_is_refused_through_the_running_task_api(ctx):
    with pytest.raises(
        InvalidValue, match=r"Object keys must be strings, not int \(at \$\['a'\]\)"
    ):
        ctx.state.set("k", {"a": {1: "x"}})


@pytest.mark.parametrize("key", ["lone\ud800", "\udfff"])
def test_a_key_with_a_lone_surrogate_is_refused_through_the_running_task_api(ctx, key):
    # A URL cannot carry one (Django decodes paths with replacement), Python code can.
    with pytest.raises(InvalidKey, match="control or unprintable"):
        ctx.state.set(key, 1)
    with pytest.raises(InvalidKey, match="control or unprintable"):
        ctx.assets["orders"].set(key, 1)
    assert TaskState.objects.count() == 0 and AssetState.objects.count() == 0
