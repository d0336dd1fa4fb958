"""Property: any JSON value reads back equal across the two APIs (docs/design.md, "State
values")."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.state_app.conftest import asset_url, context_for, entry_url

pytestmark = pytest.mark.django_db

# Text as JSON carries it: no NUL (refused by rule) and no lone surrogates (not Unicode).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=25,
).filter(lambda v: v is not None)

counter = itertools.count()
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(value=json_values)
def test_rest_write_then_task_read(api, user, task, value):
    key = f"k{next(counter)}"
    response = api(user).put(entry_url(task, key), {"value": value}, format="json")
    assert response.status_code == 201, response.json()
    assert context_for(task).state.get(key) == value
    assert response.json()["value"] == value


@PROPERTY
@given(value=json_values)
def test_task_write_then_rest_read(api, user, task, value):
    key = f"k{next(counter)}"
    context_for(task).state.set(key, value)
    response = api(user).get(entry_url(task, key))
    assert response.status_code == 200 and response.json()["value"] == value


@PROPERTY
@given(value=json_values)
def test_asset_state_both_ways(api, staff, ctx, value):
    key = f"k{next(counter)}"
    ctx.assets["orders"].set(key, value)
    assert api(staff).get(asset_url("orders", key)).json()["value"] == value
    api(staff).put(asset_url("orders", key), {"value": [value]}, format="json")
    assert ctx.assets["orders"].get(key) == [value]
