"""Each patch in this folder undoes one protection that a fault test guards. This script applies
each patch to a fresh copy of the checkout, runs the test the patch names, and fails unless
that test fails: a fault test that still passes without its protection proves nothing.

    python tests/faults/mutations/run.py [--baseline] [NAME ...]

NAME is a patch's file name without ``.diff`` (default: all). ``--baseline`` first runs each
test on the unpatched copy and requires it to pass. The checkout itself is never modified.
Needs what the fault suite needs (DATABASE_URL on PostgreSQL; redis-server for Redis tests).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
RUN_TIMEOUT = 600


@dataclass(frozen=True)
class Mutation:
    name: str
    patch: Path
    test: str
    """The pytest node id of the fault test the patch must make fail."""
    undoes: str

    @classmethod
    def read(cls, patch: Path) -> Mutation:
        header = dict(
            line.split(": ", 1)
            for line in patch.read_text().splitlines()[:2]
            if line.startswith(("Test: ", "Undoes: "))
        )
        if set(header) != {"Test", "Undoes"}:
            raise SystemExit(f"{patch.name}: the first lines must be 'Test: ...' and 'Undoes: ...'")
        return cls(patch.stem, patch, header["Test"], header["Undoes"])


@dataclass(frozen=True)
class Outcome:
    passed: int
    failed: int
    errors: int
    message: str
    seconds: float


def copy_checkout(dest: Path) -> None:
    """The checkout's files as git sees them (tracked and new, not ignored): no venv, no var."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if src.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def check_imports_from(tree: Path) -> None:
    # An editable install must not shadow the copy: the patched code is what has to run.
    found = subprocess.run(
        [sys.executable, "-c", "import tasks_app; print(tasks_app.__file__)"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"The copy imports tasks_app from {found}, not from {tree}")


def run_test(tree: Path, test: str) -> Outcome:
    junit = tree / "var" / "mutation-junit.xml"
    junit.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "pytest", "-m", "faults", test, "-q", "-p", "no:randomly"]
    argv += ["-p", "no:cacheprovider", f"--junitxml={junit}", f"--basetemp={tree / 'var' / 'tmp'}"]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=tree, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    seconds = time.monotonic() - started
    if not junit.exists():
        raise SystemExit(f"pytest wrote no report for {test}:\n{proc.stdout}\n{proc.stderr}")
    suite = ET.parse(junit).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    assert suite is not None
    total, failed, errors, skipped = (
        int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")
    )
    reason = suite.find("testcase/failure")
    if reason is None:
        reason = suite.find("testcase/error")
    message = (reason.get("message", "") if reason is not None else "").splitlines()
    return Outcome(
        total - failed - errors - skipped, failed, errors, " ".join(message)[:300], seconds
    )


def check(mutation: Mutation, *, baseline: bool) -> bool:
    print(f"== {mutation.name}: {mutation.undoes}\n   test: {mutation.test}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gtf-mutation-") as tmp:
        tree = Path(tmp)
        copy_checkout(tree)
        check_imports_from(tree)
        if baseline:
            before = run_test(tree, mutation.test)
            print(
                f"   unpatched: {before.passed} passed, {before.failed} failed, "
                f"{before.errors} errors in {before.seconds:.1f} s",
                flush=True,
            )
            if (before.passed, before.failed, before.errors) != (1, 0, 0):
                print(f"   FAIL: the test does not pass unpatched: {before.message}")
                return False
        subprocess.run(["git", "apply", str(mutation.patch)], cwd=tree, check=True)
        after = run_test(tree, mutation.test)
    print(
        f"   patched:   {after.passed} passed, {after.failed} failed, "
        f"{after.errors} errors in {after.seconds:.1f} s",
        flush=True,
    )
    if (after.passed, after.failed, after.errors) == (0, 1, 0):
        print(f"   ok: the test fails without the protection: {after.message}", flush=True)
        return True
    print("   FAIL: " + ("the test still passes" if after.passed else after.message), flush=True)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="patches to check (default: all)")
    parser.add_argument("--baseline", action="store_true", help="also run each test unpatched")
    args = parser.parse_args()
    patches = sorted(HERE.glob("*.diff"))
    if args.names:
        patches = [HERE / f"{n}.diff" for n in args.names]
        missing = [p.name for p in patches if not p.exists()]
        if missing:
            raise SystemExit(f"No such patch: {', '.join(missing)}")
    results = {m.name: check(m, baseline=args.baseline) for m in map(Mutation.read, patches)}
    survived = [name for name, ok in results.items() if not ok]
    print(
        f"{len(results) - len(survived)} of {len(results)} patches made their test fail"
        + (f"; not: {', '.join(survived)}" if survived else "")
    )
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
