"""Test settings: the host project plus an app of task types the tests use.

A ``qcluster`` started by the tests uses these settings too; the environment variables
below let a test give its workers the executor and GTF settings it needs.
"""

import json
import os

# One queue name per test run, shared by the test process and the workers it starts.
os.environ.setdefault("GTF_Q_NAME", f"gtftest{os.getpid()}")

from gtf_project.settings import *  # noqa: E402, F403
from gtf_project.settings import GTF, INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
GTF = {
    **GTF,
    "EXECUTOR": os.environ.get(
        "GTF_TEST_EXECUTOR", "tasks_app.executors.immediate.ImmediateExecutor"
    ),
    **json.loads(os.environ.get("GTF_TEST_GTF", "{}")),
}
