"""Test settings: the host project plus an app of task types the tests use.

A ``qcluster`` started by the tests uses these settings too; the environment variables
below let a test give its workers the executor and GTF settings it needs.
"""

import json
import os
import sys

# One queue name per test run, shared by the test process and the workers it starts.
os.environ.setdefault("GTF_Q_NAME", f"gtftest{os.getpid()}")

from gtf_project.settings import *  # noqa: E402, F403
from gtf_project.settings import DATABASES, GTF, INSTALLED_APPS, Q_CLUSTER  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Shell commands the tests run (tests/ops/test_shell.py); the program is this Python.
TEST_SHELL_COMMANDS = {
    "argv": [
        sys.executable,
        "-c",
        "import json, sys; print(json.dumps(sys.argv[1:]))",
        "{first}",
        "--label={second}",
        "{{literal}}",
    ],
    # The documented example: {target} opens its item, {label} is glued to an option,
    # {path} comes after "--".
    "backup": [
        sys.executable,
        "-c",
        "import json, sys; print(json.dumps(sys.argv[1:]))",
        "--target",
        "{target}",
        "--label={label}",
        "--",
        "{path}",
    ],
    "fails": {
        "argv": [
            sys.executable,
            "-c",
            "import sys; print('partial'); sys.stderr.write('boom\\n'); sys.exit(3)",
        ]
    },
    "where": {
        "argv": [
            sys.executable,
            "-c",
            "import json, os; print(json.dumps({'cwd': os.getcwd(), 'env': dict(os.environ)}))",
        ],
        "env": {"GTF_SHELL_TEST": "yes"},
        "scope": "shared",
    },
    "chatty": [sys.executable, "-c", "import sys; sys.stdout.write('x' * 300000)"],
    "sleeper": {
        # Starts a child in its process group, writes both pids to a file, then sleeps.
        "argv": [
            sys.executable,
            "-c",
            "import os, subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "open(sys.argv[1], 'w').write('%d %d' % (os.getpid(), child.pid))\n"
            "time.sleep(120)",
            "{pidfile}",
        ],
        "timeout": 60,
        "scope": "shared",
    },
    "short": {"argv": [sys.executable, "-c", "import time; time.sleep(120)"], "timeout": 2},
}
GTF = {
    **GTF,
    "EXECUTOR": os.environ.get(
        "GTF_TEST_EXECUTOR", "tasks_app.worker.executors.immediate.ImmediateExecutor"
    ),
    "SHELL_COMMANDS": TEST_SHELL_COMMANDS,
    **json.loads(os.environ.get("GTF_TEST_GTF", "{}")),
}
# Cluster options a test's workers need (tests.qcluster passes them).
Q_CLUSTER = {**Q_CLUSTER, **json.loads(os.environ.get("GTF_TEST_Q", "{}"))}
# A cluster started by a test names its connections, so tests can find them in pg_stat_activity.
APPLICATION_NAME = os.environ.get("GTF_TEST_DB_APPLICATION_NAME", "")
if APPLICATION_NAME and "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "application_name": APPLICATION_NAME,
    }
TASKS = {"default": {"BACKEND": "tasks_app.backends.GTFBackend"}}
