"""Types of Django's tasks API record the module that registers them; a worker imports only
that module, only for a type it does not know, and only if the module says it registers it."""

import sys

import pytest

from tasks_app.models import Task, TaskStatus
from tasks_app.registry import registry
from tasks_app.services import task_submit
from tasks_app.worker.runner import run_task

pytestmark = pytest.mark.django_db
S = TaskStatus


def test_an_enqueue_records_the_module_of_the_function(null_executor, jobs):
    result = jobs.multiply.enqueue(6, 7)
    assert Task.objects.get(uuid=result.id).task_module == jobs.__name__


def test_gtf_types_record_no_module(user, null_executor):
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    assert Task.objects.get(pk=task.pk).task_module == ""


def test_the_rest_api_cannot_name_a_module(user, client):
    client.force_login(user)
    body = {"task_type": "t.add", "parameters": {"a": 1}, "task_module": "os"}
    response = client.post("/api/v1/tasks/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["field"] == "task_module"
    assert not Task.objects.exists()


def test_a_module_that_does_not_register_the_type_gives_nothing():
    assert registry.import_recorded("t.nothing", "tests.testapp.tasks") is None
    assert registry.import_recorded("t.nothing", "tests.testapp.no_such_module") is None
    # A GTF type is never found through a module: it records none.
    assert registry.import_recorded("t.add", "tests.testapp.tasks") is None


def test_a_worker_refuses_an_unknown_type_whose_module_does_not_register_it(user, null_executor):
    task = task_submit(task_type="t.add", user=user, parameters={"a": 1}).task
    Task.objects.filter(pk=task.pk).update(task_type="gone.add", task_module="tests.testapp.tasks")
    assert run_task(str(task.uuid)) == S.FAILURE
    task.refresh_from_db()
    assert (task.status, task.error_type, task.started_at) == (S.FAILURE, "UnknownTaskType", None)


def test_a_worker_imports_the_recorded_module_of_an_unknown_type(null_executor, jobs, monkeypatch):
    result = jobs.multiply.enqueue(6, 7)
    name = Task.objects.get(uuid=result.id).task_type
    # As in a worker that never imported the module.
    monkeypatch.delitem(sys.modules, jobs.__name__)
    registry.unregister(name)
    assert run_task(str(result.id)) == S.SUCCESS
    assert registry.get(name).task_module == jobs.__name__
    assert Task.objects.get(uuid=result.id).result == 42
