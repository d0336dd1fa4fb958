"""The one JSON walker: what it finds, where, in which order; the safe copy of results."""

import json
import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_app.jsonvalues import (
    MAX_REPR,
    Rule,
    clean_text,
    compact_json,
    find_problem,
    json_safe,
    nested_deeper_than,
    parse,
    utf8_size,
)


def nested(levels: int, leaf=1):
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


FIT = [0, -1.5, 10**40, True, None, "", "é ✓ 😀", [], {}, {"a": [1, {"b": None}]}, nested(31)]


@pytest.mark.parametrize("value", FIT)
def test_fit_values_have_no_problem(value):
    assert find_problem(value, max_depth=32) is None


@pytest.mark.parametrize(
    "value,rule,where,in_key",
    [
        (float("nan"), Rule.NAN, "$", False),
        ({"a": [1, float("-inf")]}, Rule.NAN, "$['a'][1]", False),
        ({"a": {"b": "x\x00"}}, Rule.NUL, "$['a']['b']", False),
        ([{"k\x00": 1}], Rule.NUL, "$[0]", True),
        ({"a": ["ok", "x\ud800y"]}, Rule.SURROGATE, "$['a'][1]", False),
        ({"a": {"\udfff": 1}}, Rule.SURROGATE, "$['a']", True),
        ({"a": {1: "x"}}, Rule.KEY_TYPE, "$['a']", True),
        ({"a": (1, 2)}, Rule.TYPE, "$['a']", False),
        ([1, {2}], Rule.TYPE, "$[1]", False),
        ({"a": b"bytes"}, Rule.TYPE, "$['a']", False),
        (nested(33), Rule.DEPTH, "$" + "[0]" * 32, False),
    ],
)
def test_each_problem_is_found_with_its_path(value, rule, where, in_key):
    problem = find_problem(value, max_depth=32)
    assert problem is not None
    assert (problem.rule, problem.where(), problem.in_key) == (rule, where, in_key)


def test_the_first_problem_in_document_order_is_reported():
    value = {"a": [1, [2, "nul\x00"]], "b": float("nan"), "c\x00": 1}
    assert find_problem(value, max_depth=32).where() == "$['a'][1][1]"
    value = {"a": [1, [2, 3]], "b": float("nan"), "c\x00": 1}
    assert find_problem(value, max_depth=32).rule == Rule.NAN
    value = {"a": [1, [2, 3]], "c\x00": float("nan")}
    problem = find_problem(value, max_depth=32)
    assert problem.rule == Rule.NUL and problem.in_key  # the key before its value


def test_path_keys_are_escaped_so_messages_can_be_sent():
    problem = find_problem({"\ud800": 1}, max_depth=32)
    assert problem.where() == "$"
    problem = find_problem({"a\x00b": {"c": float("nan")}}, max_depth=32)
    assert problem.rule == Rule.NUL  # found on the key itself, before the value
    problem = find_problem({"é\n": [float("nan")]}, max_depth=32)
    assert problem.where("x") == "x['é\\n'][0]"


def test_depth_limit_is_inclusive_and_counts_the_outermost_container():
    assert find_problem(nested(2), max_depth=2) is None
    assert find_problem(nested(3), max_depth=2).rule == Rule.DEPTH
    assert find_problem([1], max_depth=1) is None
    assert find_problem([], max_depth=0).rule == Rule.DEPTH
    assert find_problem("scalar", max_depth=0) is None


def test_far_deeper_than_the_recursion_limit_is_a_problem_not_a_crash():
    value = nested(sys.getrecursionlimit() * 20)
    problem = find_problem(value, max_depth=32)
    assert problem.rule == Rule.DEPTH and len(problem.path) == 32
    # Even a limit beyond the recursion limit walks it without recursion.
    assert find_problem(value, max_depth=10**9) is None


def test_a_self_referencing_value_stops_at_the_depth_limit():
    loop: list = []
    loop.append(loop)
    assert find_problem(loop, max_depth=32).rule == Rule.DEPTH
    assert json_safe(loop)  # cut into metadata, no endless walk


def test_subclasses_of_json_types_are_fit():
    from collections import OrderedDict
    from enum import IntEnum

    class Level(IntEnum):
        HIGH = 3

    assert find_problem(OrderedDict(a=[Level.HIGH]), max_depth=32) is None


# -- json_safe ----------------------------------------------------------------------------


def test_json_safe_keeps_fit_values_as_a_copy():
    value = {"a": [1, 2.5, "é"], "b": {"c": None}}
    safe = json_safe(value)
    assert safe == value
    assert safe is not value and safe["a"] is not value["a"]


class Odd:
    def __repr__(self) -> str:
        return "<Odd>"


def test_json_safe_replaces_each_unfit_part_with_metadata():
    value = {
        "tuple": (1, (2, 3)),
        "obj": Odd(),
        "nan": float("nan"),
        "nul": "a\x00b",
        "lone": "a\ud800",
        "keys": {1: "x"},
        "nul_key": {"k\x00": 1},
        "lone_key": {"\udc00": 1},
        "ok": [1, "fine"],
    }
    assert json_safe(value) == {
        "tuple": [1, [2, 3]],
        "obj": {"_type": "Odd", "_repr": "<Odd>"},
        "nan": {"_type": "float", "_repr": "nan"},
        "nul": {"_type": "str", "_repr": "'a\\x00b'"},
        "lone": {"_type": "str", "_repr": "'a\\ud800'"},
        "keys": {"_type": "dict", "_repr": "{1: 'x'}"},
        "nul_key": {"_type": "dict", "_repr": "{'k\\x00': 1}"},
        "lone_key": {"_type": "dict", "_repr": "{'\\udc00': 1}"},
        "ok": [1, "fine"],
    }
    assert find_problem(json_safe(value), max_depth=100) is None


def test_json_safe_cuts_at_its_depth_and_survives_any_depth():
    safe = json_safe(nested(5), max_depth=3)
    assert safe == [[[{"_type": "list", "_repr": "[[1]]"}]]]
    deep = json_safe(nested(sys.getrecursionlimit() * 20))
    assert find_problem(deep, max_depth=101) is None


class Nasty:
    def __repr__(self) -> str:
        return "nul\x00 and lone\ud800 " + "x" * 5000


class Broken:
    def __repr__(self) -> str:
        raise RuntimeError("no")


def test_metadata_text_is_storable_and_bounded():
    nasty = json_safe(Nasty())
    assert nasty["_repr"].startswith("nul\ufffd and lone\ufffd ")
    assert len(nasty["_repr"]) == MAX_REPR
    assert json_safe(Broken()) == {"_type": "Broken", "_repr": "<Broken object>"}


def test_clean_text_replaces_nul_and_lone_surrogates():
    assert clean_text("a\x00b\ud800c😀") == "a\ufffdb\ufffdc😀"
    assert clean_text("plain") == "plain"


# -- sizes and body nesting -----------------------------------------------------------------


def test_sizes_are_compact_utf8_json():
    assert compact_json({"a": [1, "é"]}) == '{"a":[1,"é"]}'
    assert utf8_size({"a": [1, "é"]}) == 14  # é is two bytes, nothing is escaped
    with pytest.raises(ValueError):
        compact_json(math.inf)


@pytest.mark.parametrize(
    "text,limit,deeper",
    [
        ("[" * 513 + "]" * 513, 512, True),
        ("[" * 512 + "]" * 512, 512, False),
        ('{"a":' * 600 + "1" + "}" * 600, 512, True),
        ('["' + "[" * 600 + '"]', 512, False),  # brackets inside a string do not nest
        ('["\\"' + "[" * 600 + '"]', 512, False),  # nor after an escaped quote
        ('["\\\\", "' + "[" * 600 + '"]', 512, False),  # an escaped backslash ends no string
        ("[" * 300 + "[]" * 300 + "]" * 300, 300, True),  # deep and wide
        ("[é" * 600, 512, True),  # not JSON, never mind: measured
        ("[[]]" * 1000, 512, False),  # many brackets, shallow
        ("[" * 600, 512, True),  # not JSON at all: still measured, never parsed here
        ("", 0, False),
    ],
)
def test_nesting_of_json_text_without_parsing(text, limit, deeper):
    assert nested_deeper_than(text, limit) is deeper


def test_parse_keeps_nan_for_the_validators_and_refuses_depth_before_parsing():
    assert math.isnan(parse('{"a": NaN}', max_depth=2)["a"])
    assert parse("[[1]]", max_depth=2) == [[1]]
    with pytest.raises(ValueError, match="nested deeper than 2 levels"):
        parse("[[[1]]]", max_depth=2)
    with pytest.raises(ValueError, match="nested deeper than 512 levels"):
        parse("[" * 10**6, max_depth=512)  # measured, never handed to the parser
    with pytest.raises(ValueError):
        parse('{"a": ', max_depth=512)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ aé\n'),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\ a'), children, max_size=3)
    ),
    max_leaves=30,
)


def true_depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


@given(json_values, st.integers(min_value=0, max_value=6), st.booleans())
def test_nesting_measured_without_parsing_is_exact_for_json(value, limit, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert nested_deeper_than(text, limit) is (true_depth(value) > limit)
