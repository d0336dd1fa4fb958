"""The test settings with a host-style user model: UUID primary key, ``email`` as
``USERNAME_FIELD``, no ``username`` (CI runs the whole suite with it on PostgreSQL)."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.customuser"]
AUTH_USER_MODEL = "customuser.User"
