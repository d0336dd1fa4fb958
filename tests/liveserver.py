"""Run the project under uvicorn (ASGI) on the test database, for tests of live pages."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, ROOT, test_database_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn_server(*, log: Path, events_dir: Path, gtf: dict | None = None):
    """Yield the base URL of a uvicorn serving ``gtf_project.asgi`` with the test settings."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],  # as pytest-django set it
        "DJANGO_DEBUG": "1",  # the ASGI entry point then serves static files
        "DATABASE_URL": test_database_url(),
        "GTF_TEST_EXECUTOR": DJANGO_Q_EXECUTOR,
        "GTF_TEST_GTF": json.dumps({**FAST_GTF, **(gtf or {})}),
        "GTF_TEST_EVENTS": str(events_dir),
    }
    argv = [sys.executable, "-m", "uvicorn", "gtf_project.asgi:application"]
    argv += [f"--port={port}", "--host=127.0.0.1", "--lifespan=off"]
    argv += ["--timeout-graceful-shutdown=1"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not start; see {log}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
