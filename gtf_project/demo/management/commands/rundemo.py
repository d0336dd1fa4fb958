"""Run the demo: migrate, ensure an admin account, then an ASGI web server and a qcluster."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import suppress

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# Seconds a child's process group gets to stop after SIGTERM before SIGKILL.
STOP_GRACE = 3.0


class Stop(Exception):
    """SIGTERM or SIGHUP reached this command: stop like on Ctrl-C."""


def _raise_stop(signum, frame):
    raise Stop()


def split_addrport(addrport: str) -> tuple[str, int]:
    host, sep, port = addrport.rpartition(":")
    if not sep or not port.isdigit():
        raise CommandError(f"--addrport {addrport!r}: write HOST:PORT, e.g. 127.0.0.1:8000.")
    return host.strip("[]") or "127.0.0.1", int(port)


def start(argv: list[str]) -> subprocess.Popen:
    # A session (and process group) of its own: the terminal's Ctrl-C reaches only this
    # command, which then stops each child's whole group, task workers included.
    return subprocess.Popen(argv, start_new_session=True)


def stop_groups(procs: list[subprocess.Popen], grace: float = STOP_GRACE) -> None:
    """SIGTERM every child's process group, SIGKILL whatever is left after ``grace``."""
    for p in procs:
        with suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        with suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(deadline - time.monotonic(), 0))
    # Always, even when the leader exited: a busy worker of the group may still be running.
    for p in procs:
        with suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    for p in procs:
        p.wait()


class Command(BaseCommand):
    help = (
        "Migrate, create the demo admin, and run the web server (uvicorn, ASGI: live pages "
        "over Server-Sent Events) and a qcluster worker together; Ctrl-C stops all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default=os.environ.get("GTF_ADDRPORT", "127.0.0.1:8000"))
        parser.add_argument("--username", default=os.environ.get("GTF_ADMIN_USER", "admin"))

    def handle(self, *args, addrport: str, username: str, **options):
        host, port = split_addrport(addrport)
        call_command("migrate", interactive=False, verbosity=0)
        self.ensure_admin(username)
        web = [
            sys.executable,
            "-m",
            "uvicorn",
            "gtf_project.asgi:application",
            f"--host={host}",
            f"--port={port}",
            # Open event streams would hold a graceful shutdown for ever.
            "--timeout-graceful-shutdown=1",
            "--lifespan=off",
        ]
        # Started in the background by a shell, SIGINT arrives ignored: take it back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_stop)
        signal.signal(signal.SIGHUP, _raise_stop)
        procs: list[subprocess.Popen] = []
        try:
            procs.append(start(web))
            procs.append(start([sys.executable, "manage.py", "qcluster"]))
            self.stdout.write(
                self.style.SUCCESS(
                    f"Task center: http://{addrport}/  (Ctrl-C stops web and worker)"
                )
            )
            while all(p.poll() is None for p in procs):
                time.sleep(0.2)
            self.stderr.write("A child process exited; stopping the others.")
        except (KeyboardInterrupt, Stop):
            pass
        finally:
            # A second Ctrl-C must not cut the clean-up short and leave workers behind.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop_groups(procs)

    def ensure_admin(self, username: str) -> None:
        password = os.environ.get("GTF_ADMIN_PASSWORD")
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None and not password:
            self.stdout.write(
                f"Admin account {username!r} exists (set GTF_ADMIN_PASSWORD to reset it)."
            )
            return
        password = password or secrets.token_urlsafe(12)
        if user is None:
            user = User(username=username, email=f"{username}@example.com")
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.WARNING(f"Admin login: {username} / {password}"))
