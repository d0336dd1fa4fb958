"""The JSON walker's cost: ``tasks_app.jsonvalues`` versus the three recursive walks it
replaced, and the API parser's nesting check versus plain ``json.loads``.

    .venv/bin/python -m bench.json_walk [--rounds 9]

No database. Each round times the new and the old code back to back on the same value
(alternating which goes first); the median of the per-round ratios counts and the spread
shows the rounds' range, which cancels most of the drift of a shared machine. The "before"
functions below are the replaced code, kept here only as the baseline. The walks do more
than before (NUL and lone surrogates everywhere, a path, no recursion); target: each at
least 0.7x the old speed. The parser's nesting check is a second linear pass over a body
with more than 512 brackets (none for ordinary bodies); target: at least 0.6x plain
``json.loads`` on a bracket-heavy 55 KB body.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import emit
from tasks_app.jsonvalues import find_problem, json_safe, parse

WALK_TARGET = 0.7
PARSE_TARGET = 0.6


# -- before: the replaced walks -----------------------------------------------------------
def before_state_check(value: Any, depth: int = 0, max_depth: int = 32) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("nul")
        return
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("nan")
        return
    if isinstance(value, list | dict):
        if depth >= max_depth:
            raise ValueError("depth")
        if isinstance(value, list):
            for item in value:
                before_state_check(item, depth + 1, max_depth)
            return
        for k, item in value.items():
            if not isinstance(k, str) or "\x00" in k:
                raise ValueError("key")
            before_state_check(item, depth + 1, max_depth)
        return
    raise ValueError("type")


def before_is_finite_json(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(before_is_finite_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and before_is_finite_json(v) for k, v in value.items())
    return value is None or isinstance(value, str | int | bool)


def _meta(value: Any) -> dict[str, str]:
    return {"_type": type(value).__qualname__, "_repr": repr(value)[:1000]}


def before_json_safe(value: Any, _depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if "\x00" not in value else _meta(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _meta(value)
    if _depth > 100:
        return _meta(value)
    if isinstance(value, list | tuple):
        return [before_json_safe(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and "\x00" not in k for k in value):
            return {k: before_json_safe(v, _depth + 1) for k, v in value.items()}
        return _meta(value)
    return _meta(value)


# -- values -------------------------------------------------------------------------------
SMALL = {"n": 7, "cursor": "page-7", "ids": [7, 8, 9], "done": False}  # bench/state_ops.py
ROWS = [
    {"id": i, "name": f"row {i} é", "score": i / 7, "tags": ["a", "b"], "ok": i % 2 == 0}
    for i in range(600)
]  # about 55 KB as JSON: near the 64 KB limits of state values and parameters
SMALL_BODY = json.dumps({"task_type": "reports.export", "parameters": {"query_id": 42}})
ROWS_BODY = json.dumps({"task_type": "reports.export", "parameters": {"rows": ROWS}})

CASES: list[tuple[str, Callable[[], Any], Callable[[], Any], int]] = [
    # (name, new, old, calls per timing)
    (
        "state value, small",
        lambda: find_problem(SMALL, max_depth=32),
        lambda: before_state_check(SMALL),
        20000,
    ),
    (
        "state value, 55 KB",
        lambda: find_problem(ROWS, max_depth=32),
        lambda: before_state_check(ROWS),
        40,
    ),
    (
        "parameters, small",
        lambda: [find_problem(v, max_depth=32) for v in SMALL.values()],
        lambda: [before_is_finite_json(v) for v in SMALL.values()],
        20000,
    ),
    (
        "parameters, 55 KB",
        lambda: find_problem(ROWS, max_depth=32),
        lambda: before_is_finite_json(ROWS),
        40,
    ),
    ("result, small", lambda: json_safe(SMALL), lambda: before_json_safe(SMALL), 20000),
    ("result, 55 KB", lambda: json_safe(ROWS), lambda: before_json_safe(ROWS), 40),
    (
        "parse body, small",
        lambda: parse(SMALL_BODY, max_depth=512),
        lambda: json.loads(SMALL_BODY),
        20000,
    ),
    (
        "parse body, 55 KB",
        lambda: parse(ROWS_BODY, max_depth=512),
        lambda: json.loads(ROWS_BODY),
        40,
    ),
]


def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(f"{args.rounds} rounds; per call in microseconds; ratio = old time / new time")
    failed = False
    figures: dict[str, object] = {}
    for name, new, old, calls in CASES:
        new_us, old_us, ratios = [], [], []
        for r in range(args.rounds):
            pair = ((new, new_us), (old, old_us)) if r % 2 == 0 else ((old, old_us), (new, new_us))
            timings = {id(fn): per_call_us(fn, calls) for fn, _ in pair}
            for fn, bucket in pair:
                bucket.append(timings[id(fn)])
            ratios.append(timings[id(old)] / timings[id(new)])
        ratio = statistics.median(ratios)
        target = PARSE_TARGET if name.startswith("parse") else WALK_TARGET
        failed |= ratio < target
        figures["ratio_" + name.replace(",", "").replace(" ", "_").lower()] = round(ratio, 3)
        print(
            f"{name:>20}: new {statistics.median(new_us):9.1f} us, old "
            f"{statistics.median(old_us):9.1f} us, ratio median {ratio:.2f} "
            f"(spread {min(ratios):.2f}-{max(ratios):.2f})"
            f"{'' if ratio >= target else f'  BELOW TARGET {target}'}"
        )
    verdict = "MISSED" if failed else "ok"
    print(f"targets (walks >= {WALK_TARGET}, parse >= {PARSE_TARGET}): {verdict}")
    emit("bench.json_walk", {**figures, "targets_met": not failed})


if __name__ == "__main__":
    main()
