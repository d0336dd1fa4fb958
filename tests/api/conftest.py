import pytest

from tests.api.schema_check import SchemaCheckedClient


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a schema-checked API client signed in as ``user`` (None: anonymous)."""

    def make(user=None) -> SchemaCheckedClient:
        client = SchemaCheckedClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def null_executor(settings):
    """Submitted tasks stay PENDING (nothing runs them)."""
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
