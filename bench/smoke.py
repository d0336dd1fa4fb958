"""Every benchmark once at a tiny size: does each run, and end with its ``RESULT`` line?

    python -m bench.smoke [--only bench.drain ...]

Each bench runs in a process of its own on the bench database (``DATABASE_URL``, default
``gtf_bench`` on the local PostgreSQL; ``REDIS_URL`` adds the Redis drain). The figures of so
small a run mean nothing; the exit status is non-zero if any bench fails, times out or
prints no parseable ``RESULT {json}`` as its last such line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.harness import ROOT

BENCHES: dict[str, list[str]] = {
    "bench.submit_throughput": ["--rounds", "2", "--block", "10", "--api-rounds", "1"],
    "bench.bulk_submit": ["--rounds", "1", "--batch", "50", "--raw-block", "10"],
    "bench.drain": ["--count", "40", "--rounds", "1"],
    "bench.worker_floor": ["--count", "40", "--rounds", "1"],
    "bench.abort_latency": ["--samples", "2"],
    "bench.django_tasks_enqueue": ["--count", "20", "--rounds", "1"],
    "bench.json_walk": ["--rounds", "1"],
    "bench.state_ops": ["--keys", "20", "--passes", "1", "--rounds", "1", "--chunk", "10"],
    "bench.api_list": ["--tasks", "2000", "--repeat", "1"],
    "bench.list_plans": [],  # on the data api_list.py just filled
}
TIMEOUT = 240  # seconds per bench; a tiny run takes a few


def result_of(stdout: str) -> dict | None:
    """The figures of the last ``RESULT {json}`` line, or None."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            try:
                figures = json.loads(line[len("RESULT ") :])
            except ValueError:
                return None
            return figures if isinstance(figures, dict) else None
    return None


def run(name: str, argv: list[str]) -> tuple[bool, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gtf_bench")
    try:
        out = subprocess.run(
            [sys.executable, "-m", name, *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT} s"
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).splitlines()[-15:])
        return False, f"exit {out.returncode}\n{tail}"
    figures = result_of(out.stdout)
    if figures is None:
        return False, "no RESULT line\n" + "\n".join(out.stdout.splitlines()[-5:])
    return True, json.dumps(figures, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="these benches")
    args = parser.parse_args()
    failed = []
    for name in args.only or BENCHES:
        started = time.monotonic()
        ok, said = run(name, BENCHES[name])
        print(f"{'ok ' if ok else 'FAIL'} {name:28s} {time.monotonic() - started:5.1f} s  {said}")
        sys.stdout.flush()
        if not ok:
            failed.append(name)
    if failed:
        sys.exit(f"{len(failed)} bench(es) failed: {', '.join(failed)}")
    print(f"{len(args.only or BENCHES)} benches ran, each with its RESULT line")


if __name__ == "__main__":
    main()
