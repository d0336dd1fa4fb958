"""Parameter values and names: NUL, lone surrogates, depth and size are refused naming the
parameter, from Python as from the API (an InvalidInput or ParameterError, never a database
error), and sizes are measured one way for every caller."""

import re
import sys

import pytest

from tasks_app import params
from tasks_app.decorators import register
from tasks_app.exceptions import InvalidInput, InvalidTaskDefinition, ParameterError
from tasks_app.models import Task
from tasks_app.params import check_size, check_values, read_signature, validate
from tasks_app.registry import registry
from tasks_app.services import task_submit


def typed(count: int, name: str = "x", options: dict | None = None, tags: list | None = None):
    return count


def free(**kwargs):
    return kwargs


SIG = read_signature(typed)
FREE = read_signature(free)


def nested(levels: int, leaf="x"):
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def errors_of(signature, parameters) -> dict[str, str]:
    with pytest.raises(ParameterError) as info:
        validate(signature, parameters)
    return info.value.errors


@pytest.mark.parametrize(
    "parameters,name,message",
    [
        ({"count": 1, "name": "a\x00b"}, "name", "must not contain the NUL character."),
        (
            {"count": 1, "options": {"k": ["ok", "a\x00"]}},
            "options",
            "must not contain the NUL character (at options['k'][1]).",
        ),
        (
            {"count": 1, "options": {"a": {"k\x00": 1}}},
            "options",
            "must not contain the NUL character (at options['a']).",
        ),
        (
            {"count": 1, "name": "a\ud800"},
            "name",
            "must be valid Unicode text (no lone surrogate characters).",
        ),
        (
            {"count": 1, "tags": ["\udfff"]},
            "tags",
            "must be valid Unicode text (no lone surrogate characters) (at tags[0]).",
        ),
        (
            {"count": 1, "options": {"\ud800": 1}},
            "options",
            "must be valid Unicode text (no lone surrogate characters).",
        ),
        (
            {"count": float("nan")},
            "count",
            "is not a JSON value (NaN, Infinity and non-JSON types are refused).",
        ),
        (
            {"count": 1, "options": {"a": [float("inf")]}},
            "options",
            "is not a JSON value (NaN, Infinity and non-JSON types are refused) "
            "(at options['a'][0]).",
        ),
        (
            {"count": 1, "options": {1: 2}},
            "options",
            "is not a JSON value (NaN, Infinity and non-JSON types are refused).",
        ),
        (
            {"count": 1, "tags": [(1, 2)]},
            "tags",
            "is not a JSON value (NaN, Infinity and non-JSON types are refused) (at tags[0]).",
        ),
        (
            {"count": 1, "tags": nested(33)},
            "tags",
            "is nested deeper than 32 levels (MAX_PARAMETERS_DEPTH) (at tags" + "[0]" * 32 + ").",
        ),
    ],
)
def test_unfit_values_are_refused_naming_the_parameter(parameters, name, message):
    assert errors_of(SIG, parameters) == {name: message}


def test_every_wrong_parameter_is_named_at_once():
    assert errors_of(SIG, {"count": "1", "name": "\x00", "zzz": float("nan")}) == {
        "zzz": "unknown parameter.",
        "name": "must not contain the NUL character.",
        "count": "must be integer, got string.",
    }


@pytest.mark.parametrize(
    "name,message",
    [
        ("a\x00b", "parameter name 'a\\x00b' must not contain the NUL character."),
        ("a\ud800", "parameter name 'a\\ud800' must be valid Unicode text (no lone surrogates)."),
        (7, "parameter names must be strings, not int."),
    ],
)
@pytest.mark.parametrize("signature", [SIG, FREE], ids=["named", "kwargs"])
def test_unfit_names_are_refused_under_parameters(signature, name, message):
    # A name that cannot be sent back in an answer names no field of its own.
    assert errors_of(signature, {"count": 1, name: 1}) == {"parameters": message}


def test_depth_follows_the_setting(settings):
    assert validate(SIG, {"count": 1, "tags": nested(32)})["tags"] == nested(32)
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_DEPTH": 2}
    assert validate(SIG, {"count": 1, "tags": [["x"]]})["tags"] == [["x"]]
    assert "nested deeper than 2 levels" in errors_of(SIG, {"count": 1, "tags": [[["x"]]]})["tags"]


def test_any_depth_is_refused_without_recursion():
    deep = nested(sys.getrecursionlimit() * 10)
    assert "nested deeper than 32" in errors_of(FREE, {"deep": deep})["deep"]


def test_check_values_needs_no_signature():
    assert check_values({"any": [1, {"b": "c"}]}) == {"any": [1, {"b": "c"}]}
    assert check_values(None) == {}
    with pytest.raises(ParameterError) as info:
        check_values({"any": ["a\x00"]})
    assert info.value.errors == {"any": "must not contain the NUL character (at any[0])."}
    with pytest.raises(ParameterError, match="parameters: must be a JSON object"):
        check_values([1])


def test_size_is_compact_utf8_json_and_the_limit_is_inclusive(settings):
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 20}
    assert check_size({"a": "é" * 6}) == 20  # {"a":""} is 8 bytes, each é is 2
    with pytest.raises(InvalidInput, match="parameters are 22 bytes; the limit is 20") as info:
        check_size({"a": "é" * 7})
    assert info.value.field == "parameters"


def test_size_of_an_integer_too_long_to_write_is_refused_naming_parameters():
    with pytest.raises(InvalidInput, match="cannot be written as JSON") as info:
        check_size({"n": 10**5000})
    assert info.value.field == "parameters"


def test_a_default_that_is_not_fit_is_refused_at_registration():
    def bad(name: str = "a\x00"):
        return name

    with pytest.raises(InvalidTaskDefinition, match="default of 'name' is not a JSON value"):
        params.read_signature(bad)


# -- from Python: task_submit -------------------------------------------------------------


@pytest.fixture
def free_type():
    register(free, name="tmp.free", scope="private")
    yield "tmp.free"
    registry.unregister("tmp.free")


@pytest.mark.parametrize(
    "parameters,field",
    [
        ({"count": 1, "name": "a\x00"}, "name"),
        ({"count": 1, "name": "a\ud800"}, "name"),
        ({"count": 1, "options": {"deep": {"k\x00": 1}}}, "options"),
        ({"count": 1, "options": {"\udc80": 1}}, "options"),
        ({"count": 1, "tags": nested(40)}, "tags"),
    ],
)
def test_task_submit_refuses_unfit_values_before_writing(user, parameters, field):
    with pytest.raises(ParameterError) as info:
        task_submit(task_type="t.typed", user=user, parameters=parameters)
    assert list(info.value.errors) == [field]
    assert Task.objects.count() == 0


@pytest.mark.parametrize("name", ["a\x00", "\ud800", 3])
def test_task_submit_refuses_unfit_names_of_free_parameters(user, free_type, name):
    with pytest.raises(ParameterError) as info:
        task_submit(task_type=free_type, user=user, parameters={name: 1})
    assert list(info.value.errors) == ["parameters"]
    assert Task.objects.count() == 0


@pytest.mark.parametrize("field", ["task_key", "task_name"])
@pytest.mark.parametrize(
    "value,message",
    [
        ("a\x00b", "must not contain NUL or other control characters"),
        ("a\ud800b", "must be valid Unicode text (no lone surrogate characters)"),
        ("\udfff", "must be valid Unicode text (no lone surrogate characters)"),
    ],
)
def test_task_submit_refuses_unfit_keys_and_names(user, field, value, message):
    with pytest.raises(InvalidInput, match=re.escape(f"{field} {message}")) as info:
        task_submit(task_type="t.add", user=user, parameters={"a": 1}, **{field: value})
    assert info.value.field == field
    assert Task.objects.count() == 0


def test_task_submit_measures_parameters_with_defaults_filled(user, settings, null_executor):
    settings.GTF = {**settings.GTF, "MAX_PARAMETERS_BYTES": 60}
    # With its defaults, {"count":1,"name":"","options":null,"tags":null} is 48 bytes.
    register(typed, name="tmp.typed", scope="private")
    try:
        fits = {"count": 1, "name": "x" * 12}
        assert task_submit(task_type="tmp.typed", user=user, parameters=fits).created
        over = {"count": 1, "name": "x" * 13}  # 32 bytes as sent, 61 with the defaults
        with pytest.raises(InvalidInput, match="parameters are 61 bytes; the limit is 60"):
            task_submit(task_type="tmp.typed", user=user, parameters=over)
    finally:
        registry.unregister("tmp.typed")
