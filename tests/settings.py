"""Test settings: the host project plus an app of task types the tests use."""

from gtf_project.settings import *  # noqa: F403
from gtf_project.settings import GTF, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
GTF = {**GTF, "EXECUTOR": "tasks_app.executors.immediate.ImmediateExecutor"}
