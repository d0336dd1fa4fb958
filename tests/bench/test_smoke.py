"""The smoke run fails a bench that crashes or ends without a parseable RESULT line."""

import json

import pytest

from bench import smoke
from bench.harness import emit

FAKE = "tests.bench.fake_bench"


def test_emit_prints_one_result_line_of_json(capsys):
    emit("bench.x", {"ratio_keyless": 0.97, "broker": "orm"})
    line = capsys.readouterr().out.strip()
    assert line.startswith("RESULT ")
    assert json.loads(line[len("RESULT ") :]) == {
        "bench": "bench.x",
        "ratio_keyless": 0.97,
        "broker": "orm",
    }


def test_result_of_reads_the_last_result_line():
    out = 'text\nRESULT {"a": 1}\nmore\nRESULT {"a": 2}\n'
    assert smoke.result_of(out) == {"a": 2}
    assert smoke.result_of("no result here\n") is None
    assert smoke.result_of("RESULT {broken\n") is None
    assert smoke.result_of("RESULT [1, 2]\n") is None


@pytest.mark.parametrize(
    ("mode", "ok", "says"),
    [
        ("result", True, '"ratio": 1.5'),
        ("none", False, "no RESULT line"),
        ("garbled", False, "no RESULT line"),
        ("crash", False, "exit 3"),
    ],
)
def test_a_bench_passes_only_with_its_result_line(mode, ok, says):
    passed, said = smoke.run(FAKE, ["--mode", mode])
    assert passed is ok
    assert says in said


def test_smoke_exits_non_zero_when_a_bench_fails(monkeypatch, capsys):
    monkeypatch.setattr(smoke, "BENCHES", {FAKE: ["--mode", "result"], "tests.bench.missing": []})
    monkeypatch.setattr("sys.argv", ["smoke"])
    with pytest.raises(SystemExit) as exit_:
        smoke.main()
    assert "tests.bench.missing" in str(exit_.value.code)
    assert f"ok  {FAKE}" in capsys.readouterr().out


def test_every_bench_module_is_in_the_smoke_run():
    from pathlib import Path

    scripts = {
        f"bench.{p.stem}"
        for p in Path(smoke.ROOT, "bench").glob("*.py")
        if '__name__ == "__main__"' in p.read_text()
    }
    # Not benchmarks: the smoke runner itself, and the plans printer (no figures).
    assert scripts - set(smoke.BENCHES) <= {"bench.smoke"}
    assert "bench.drain" in scripts
