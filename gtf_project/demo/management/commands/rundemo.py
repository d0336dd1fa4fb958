"""Run the demo: migrate, ensure an admin account, then a web server and a qcluster."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, create the demo admin, and run the web server and a qcluster worker together."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default=os.environ.get("GTF_ADDRPORT", "127.0.0.1:8000"))
        parser.add_argument("--username", default=os.environ.get("GTF_ADMIN_USER", "admin"))

    def handle(self, *args, addrport: str, username: str, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.ensure_admin(username)
        manage = [sys.executable, "manage.py"]
        procs = [
            subprocess.Popen([*manage, "runserver", addrport, "--noreload"]),
            subprocess.Popen([*manage, "qcluster"]),
        ]
        self.stdout.write(
            self.style.SUCCESS(f"Web: http://{addrport}/  (Ctrl-C stops web and worker)")
        )
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()

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
