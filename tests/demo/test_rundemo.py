"""``make run``'s command: Ctrl-C stops the web server, the cluster and its busy workers."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest

from tests.qcluster import wait_for

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.qcluster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, pgid, state) of every process, read from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0])
    return table


def descendants(root: int) -> set[int]:
    table = proc_table()
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, _) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return found


def survivors(pids: set[int], groups: set[int]) -> set[int]:
    """Live (not zombie) processes among ``pids`` or in one of ``groups``."""
    return {
        pid
        for pid, (_, pgid, state) in proc_table().items()
        if state != "Z" and (pid in pids or pgid in groups)
    }


def demo_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="gtf_project.settings",
        GTF_VAR_DIR=str(var_dir),
        GTF_ADMIN_PASSWORD="demo-pw",
        GTF_Q_NAME=f"gtfdemo{os.getpid()}",
        PYTHONUNBUFFERED="1",
    )
    return env


def task_status(db: Path) -> str | None:
    with sqlite3.connect(db, timeout=10) as conn:
        row = conn.execute("SELECT status FROM tasks_app_task").fetchone()
    return row[0] if row else None


def test_ctrl_c_stops_every_process_of_the_demo(tmp_path):
    port = free_port()
    env = demo_env(tmp_path)
    log = open(tmp_path / "rundemo.log", "wb")  # noqa: SIM115  (closed below)
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", f"--addrport=127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # like a terminal's foreground job: Ctrl-C hits this group
    )
    groups: set[int] = set()
    try:

        def web_up():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(web_up, timeout=60, interval=0.3, what="the demo's web server")
        subprocess.run(
            [sys.executable, "manage.py", "gtf_submit", "demo.rebuild_index", "--user=admin"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        db = tmp_path / "gtf.sqlite3"
        wait_for(lambda: task_status(db) == "IN_PROGRESS", timeout=60, what="the task to run")
        pids = descendants(demo.pid)
        groups = {proc_table()[pid][1] for pid in pids if pid in proc_table()}
        assert len(groups) >= 3, "web server and cluster run in process groups of their own"

        os.killpg(demo.pid, signal.SIGINT)
        started = time.monotonic()
        wait_for(lambda: not survivors(pids, groups), timeout=10, interval=0.1, what="exit")
        elapsed = time.monotonic() - started
        assert demo.wait(timeout=1) == 0
        assert elapsed < 8, f"stopping took {elapsed:.1f} s"
    finally:
        log.close()
        # Whatever failed above, leave nothing of this test running.
        table = proc_table()
        groups |= {demo.pid} | {table[p][1] for p in descendants(demo.pid) if p in table}
        for pgid in groups:
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        demo.wait(timeout=10)
