"""The one validator and codec (docs/design.md, "State values"): each rule, with its own message."""

import pytest

from state_app.codec import Undecodable, decode, encode, validate_asset, validate_key
from state_app.exceptions import InvalidKey, InvalidValue

NESTED_33 = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]


def test_values_encode_compactly_and_decode_equal():
    value = {"b": [1, 2.5, "é", True, None], "a": {"x": -0.0}, "big": 10**30}
    text = encode(value)
    assert (
        text == '{"b":[1,2.5,"é",true,null],"a":{"x":-0.0},"big":1000000000000000000000000000000}'
    )
    assert decode(text) == value


@pytest.mark.parametrize(
    "value,rule,message",
    [
        (None, "null", "cannot be null at the top level"),
        (
            {"a": [1, float("nan")]},
            "nan",
            r"NaN and Infinity are not valid JSON numbers \(at \$\['a'\]\[1\]\)",
        ),
        ([{"x": float("-inf")}], "nan", "NaN and Infinity"),
        (
            {"a": ["ok", "bad\x00"]},
            "nul",
            r"must not contain the NUL character \(at \$\['a'\]\[1\]\)",
        ),
        ({"k\x00": 1}, "nul", "Object keys must not contain the NUL character"),
        (NESTED_33, "depth", "nested deeper than 32 levels"),
        ({1: "a"}, "type", "Object keys must be strings, not int"),
        ({"t": (1, 2)}, "type", "tuple is not a JSON type"),
        ({"s": {1}}, "type", "set is not a JSON type"),
        ("\ud800", "unicode", "valid Unicode"),
        ("x" * 65534, "size", r"65536 bytes as JSON; the limit \(MAX_VALUE_BYTES\) is 65535"),
    ],
)
def test_rejected_values_name_the_rule(value, rule, message):
    with pytest.raises(InvalidValue, match=message) as exc:
        encode(value)
    assert exc.value.rule == rule


def test_depth_limit_is_inclusive():
    assert decode(encode(NESTED_33[0])) == NESTED_33[0]  # 32 levels


def test_size_counts_utf8_bytes_and_follows_settings(settings):
    settings.GTF = {**settings.GTF, "MAX_VALUE_BYTES": 10}
    assert encode("éééé") == '"éééé"'  # 10 bytes
    with pytest.raises(InvalidValue, match="11 bytes as JSON; the limit .* is 10"):
        encode("ééééa")
    settings.GTF = {**settings.GTF, "MAX_VALUE_BYTES": 0}
    assert len(encode("x" * 200_000)) == 200_002


def test_depth_follows_settings(settings):
    settings.GTF = {**settings.GTF, "MAX_VALUE_DEPTH": 2}
    assert encode([[1]]) == "[[1]]"
    with pytest.raises(InvalidValue, match="deeper than 2 levels"):
        encode([[[1]]])


def test_self_referencing_value_stops_at_depth_limit():
    loop = []
    loop.append(loop)
    with pytest.raises(InvalidValue, match="deeper than 32"):
        encode(loop)


@pytest.mark.parametrize("text", ["{not json", "NaN", '{"a": Infinity}', "", "[" * 100000])
def test_undecodable_text_is_reported_not_raised(text):
    result = decode(text)
    assert isinstance(result, Undecodable) and result.raw == text and result.error


@pytest.mark.parametrize(
    "key,message",
    [
        ("", "1 to 200 characters"),
        ("k" * 201, "1 to 200 characters"),
        ("a/b", "must not contain '/'"),
        ("a\x00b", "NUL character"),
        ("line\nbreak", "control or unprintable"),
        ("bell\x07", "control or unprintable"),
        (5, "must be a string"),
    ],
)
def test_bad_keys(key, message):
    with pytest.raises(InvalidKey, match=message):
        validate_key(key)


@pytest.mark.parametrize("key", ["cursor", "k" * 200, "job id: 7 (ü)", "a.b-c_d:e"])
def test_good_keys(key):
    assert validate_key(key) == key


@pytest.mark.parametrize("asset", ["orders", "warehouse.orders", "s3:bucket-1_x", "a" * 255])
def test_good_assets(asset):
    assert validate_asset(asset) == asset


@pytest.mark.parametrize("asset", ["", "a" * 256, "has space", "slash/x", "ü", "a\n"])
def test_bad_assets(asset):
    with pytest.raises(InvalidKey, match="letters, digits and _ . - : only"):
        validate_asset(asset)
