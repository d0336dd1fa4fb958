import pytest

from tasks_app.decorators import register
from tasks_app.registry import registry


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def admin_client_su(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def null_executor(settings):
    """Submitted tasks stay PENDING (nothing runs them)."""
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}


@pytest.fixture
def temporary_type():
    """Register ``tmp.job`` for one test; the test may unregister it to make it an orphan."""

    def job(n: int = 1) -> int:
        return n

    register(job, name="tmp.job", scope="shared")
    yield "tmp.job"
    registry.unregister("tmp.job")
