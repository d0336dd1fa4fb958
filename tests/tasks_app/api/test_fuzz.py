"""Property-based calls generated from the API's own OpenAPI schema (schemathesis), against
the WSGI app as a signed-in user: no answer may be a 5xx or differ from the schema."""

import os
import zlib

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import StaffFactory, UserFactory

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# CI stays fast; GTF_FUZZ_EXAMPLES=500 explores further, with fresh random examples each run.
MAX_EXAMPLES = int(os.environ.get("GTF_FUZZ_EXAMPLES", "30"))


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes "old" connections around each request, which would end the
    test's transaction; Django's test client disconnects the same receivers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def null_executor(settings):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}


def make_world(factory):
    """A caller's token, and tasks of several scopes that some generated calls point at: the
    caller's own, a peer's private one, and a peer's shared one the caller never joined."""
    from tasks_app.services import task_submit

    caller = factory(username="fuzzer")
    peer = UserFactory(username="peer")
    uuids = [
        task_submit(task_type="t.add", user=caller, parameters={"a": 1}).task.uuid,
        task_submit(task_type="t.shared_noop", user=caller, task_key="fz").task.uuid,
        task_submit(task_type="t.shared_noop", user=peer, task_key="fz-peer").task.uuid,
        task_submit(task_type="t.add", user=peer, parameters={"a": 2}).task.uuid,
        task_submit(task_type="t.system_noop", user=None).task.uuid,
    ]
    return Token.objects.create(user=caller).key, uuids


@pytest.fixture
def user_world(db, keep_test_connection, null_executor):
    return make_world(UserFactory)


@pytest.fixture
def staff_world(db, keep_test_connection, null_executor):
    return make_world(StaffFactory)


def test_the_world_holds_tasks_the_caller_sees_and_tasks_it_does_not(db, null_executor):
    from tasks_app.models import Task
    from tasks_app.selectors import may_see

    token, uuids = make_world(UserFactory)
    caller = Token.objects.get(key=token).user
    tasks = [Task.objects.get(uuid=u) for u in uuids]
    assert len(set(uuids)) == len(uuids)  # no submit joined another's task
    assert [(t.scope, may_see(caller, t)) for t in tasks] == [
        ("private", True),
        ("shared", True),
        ("shared", False),  # the peer's shared task: a uuid that exists, yet is not found
        ("private", False),
        ("system", False),
    ]


def call(case, world):
    token, uuids = world
    uuid = (case.path_parameters or {}).get("uuid")
    # About half of the generated uuids become real tasks, so found and not-found both run.
    pick = zlib.crc32(str(uuid).encode())
    if uuid is not None and pick % 2 == 0:
        case.path_parameters["uuid"] = str(uuids[pick % len(uuids)])
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


# Loaded from the running app, as a client would (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
fuzz_settings = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="GTF_FUZZ_EXAMPLES" not in os.environ,
)


@schema.parametrize()
@fuzz_settings
def test_api_as_user_conforms_to_its_schema(case, user_world):
    call(case, user_world)


@schema.parametrize()
@fuzz_settings
def test_api_as_staff_conforms_to_its_schema(case, staff_world):
    call(case, staff_world)
