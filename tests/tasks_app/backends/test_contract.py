"""Django's backend contract, run against GTFBackend: a port of the backend-facing cases of
Django's ``tests/tasks/`` (test_tasks.py, and the execution cases of the immediate and dummy
backends' tests), on core ``django.tasks`` (Django 6) and on the backport (Django 5.2).

Where GTF differs by design the test says so: priorities are refused (``supports_priority`` is
False), results can be read back (``supports_get_result``), and execution happens on GTF's
executor (here the immediate one, as the enqueuing transaction commits).
"""

import dataclasses
import pickle
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tasks_app.backends import GTFBackend
from tasks_app.backends.compat import (
    DEFAULT_TASK_QUEUE_NAME,
    InvalidTask,
    Task,
    TaskResultDoesNotExist,
    TaskResultStatus,
    task_backends,
)
from tasks_app.models import Task as TaskRow
from tests.testapp import django_api as t

try:
    from django.tasks import default_task_backend, task
    from django.tasks.exceptions import InvalidTaskBackend, TaskResultMismatch
except ImportError:  # Django 5.2: the backport
    from django_tasks import default_task_backend, task
    from django_tasks.exceptions import InvalidTaskBackendError as InvalidTaskBackend
    from django_tasks.exceptions import TaskResultMismatch

pytestmark = pytest.mark.django_db
READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
SUCCESSFUL, FAILED = TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED


# -- the task API (test_tasks.py), tasks left pending --------------------------------------------
def test_using_correct_backend():
    assert default_task_backend == task_backends["default"]
    assert isinstance(task_backends["default"], GTFBackend)
    assert default_task_backend.alias == "default"
    assert default_task_backend.options == {}


def test_supports_flags():
    backend = task_backends["default"]
    assert backend.supports_defer is True
    assert backend.supports_async_task is True
    assert backend.supports_get_result is True
    assert backend.supports_priority is False


def test_task_decorator():
    for handle in (t.noop_task, t.noop_task_async, t.noop_task_from_bare_decorator):
        assert isinstance(handle, Task)


def test_enqueue_task(null_executor):
    result = t.noop_task.enqueue()
    assert result.status == READY
    assert result.task == t.noop_task
    assert result.args == [] and result.kwargs == {}
    assert TaskRow.objects.filter(uuid=result.id, status="PENDING").exists()


def test_enqueue_task_async(null_executor, sync):
    result = sync(t.noop_task.aenqueue)()
    assert result.status == READY
    assert result.task == t.noop_task
    assert result.args == [] and result.kwargs == {}
    assert TaskRow.objects.filter(uuid=result.id).exists()


def test_enqueue_with_invalid_argument(null_executor, sync):
    with pytest.raises(TypeError, match="Unsupported type"):
        t.noop_task.enqueue(datetime.now())
    with pytest.raises(TypeError, match="Unsupported type"):
        sync(t.noop_task.aenqueue)(datetime.now())
    assert not TaskRow.objects.exists()


def test_priority_is_refused():
    # GTF's queue takes due tasks oldest first: a priority is refused, not silently ignored.
    assert t.noop_task.priority == 0
    with pytest.raises(InvalidTask, match="Backend does not support setting priority of tasks."):
        t.noop_task.using(priority=1)
    with pytest.raises(InvalidTask, match="Backend does not support setting priority of tasks."):
        t.noop_task.using(priority=101)


def test_using_queue_name(settings):
    assert t.noop_task.queue_name == DEFAULT_TASK_QUEUE_NAME
    with pytest.raises(InvalidTask, match="Queue 'queue_1' is not valid for backend."):
        t.noop_task.using(queue_name="queue_1")
    settings.TASKS = {
        "default": {"BACKEND": "tasks_app.backends.GTFBackend", "QUEUES": ["default", "queue_1"]}
    }
    assert t.noop_task.using(queue_name="queue_1").queue_name == "queue_1"
    assert t.noop_task.queue_name == DEFAULT_TASK_QUEUE_NAME


def test_validate_on_enqueue(settings):
    other_queue = t.noop_task.using(queue_name="default")
    settings.TASKS = {
        "default": {"BACKEND": "tasks_app.backends.GTFBackend", "QUEUES": ["queue-1"]}
    }
    with pytest.raises(InvalidTask, match="Queue 'default' is not valid for backend"):
        other_queue.enqueue()


def test_using_run_after():
    now = timezone.now()
    assert t.noop_task.run_after is None
    assert t.noop_task.using(run_after=now).run_after == now
    assert t.noop_task.run_after is None


def test_using_unknown_backend():
    with pytest.raises(InvalidTaskBackend, match="The connection 'unknown' doesn't exist."):
        t.noop_task.using(backend="unknown")


def test_using_creates_new_instance():
    new_task = t.noop_task.using()
    assert new_task == t.noop_task and new_task is not t.noop_task


def test_chained_using():
    now = timezone.now()
    run_after_task = t.noop_task.using(run_after=now)
    queued = run_after_task.using(queue_name="default")
    assert queued.run_after == now and queued.queue_name == "default"


def test_refresh_result(null_executor, sync):
    result = sync(t.noop_task.aenqueue)()
    original = dataclasses.asdict(result)
    result.refresh()
    assert dataclasses.asdict(result) == original
    sync(result.arefresh)()
    assert dataclasses.asdict(result) == original


def test_naive_datetime():
    with pytest.raises(InvalidTask, match="run_after must be an aware datetime."):
        t.noop_task.using(run_after=datetime.now())


def test_call_task(sync):
    assert t.calculate_meaning_of_life.call() == 42
    assert sync(t.calculate_meaning_of_life.acall)() == 42
    assert sync(t.noop_task_async.acall)() is None
    assert t.noop_task_async.call() is None


def test_get_result(null_executor, sync):
    result = default_task_backend.enqueue(t.noop_task, (), {})
    assert t.noop_task.get_result(result.id) == result
    assert sync(t.noop_task.aget_result)(result.id) == result
    again = sync(default_task_backend.aenqueue)(t.noop_task, (), {})
    assert sync(t.noop_task.aget_result)(again.id) == again


def test_get_missing_result(sync):
    for missing in ("123", "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(TaskResultDoesNotExist):
            t.noop_task.get_result(missing)
        with pytest.raises(TaskResultDoesNotExist):
            sync(t.noop_task.aget_result)(missing)


def test_get_incorrect_result(null_executor, sync):
    result = default_task_backend.enqueue(t.noop_task_async, (), {})
    with pytest.raises(TaskResultMismatch, match="Task does not match"):
        t.noop_task.get_result(result.id)
    with pytest.raises(TaskResultMismatch, match="Task does not match"):
        sync(t.noop_task.aget_result)(result.id)


def test_invalid_function():
    def local_function():
        pass

    for invalid in (any, local_function):
        with pytest.raises(InvalidTask, match="Task function must be defined at a module level."):
            task()(invalid)


def test_name_and_module_path():
    assert t.noop_task.name == "noop_task"
    assert t.noop_task_async.name == "noop_task_async"
    assert t.noop_task.module_path == "tests.testapp.django_api.noop_task"
    assert import_string(t.noop_task.module_path) is t.noop_task
    assert import_string(t.noop_task_async.module_path) is t.noop_task_async


def test_pickle_task_and_result(null_executor):
    assert pickle.loads(pickle.dumps(t.noop_task)) == t.noop_task
    result = t.noop_task.enqueue()
    assert pickle.loads(pickle.dumps(result)) == result


def test_takes_context_without_taking_context():
    with pytest.raises(
        InvalidTask, match="Task takes context but does not have a first argument of 'context'."
    ):
        task(takes_context=True)(t.calculate_meaning_of_life.func)


# -- execution (the immediate and dummy backends' cases), on GTF's immediate executor ---------
def test_enqueue_and_run(run_on_commit):
    for handle in (t.noop_task, t.noop_task_async):
        with run_on_commit():
            result = handle.enqueue(1, two=3)
        assert result.status == READY  # the task as submitted; it ran as the block committed
        result.refresh()
        assert result.status == SUCCESSFUL and result.is_finished is True
        assert result.started_at and result.last_attempted_at and result.finished_at
        assert result.enqueued_at <= result.started_at <= result.finished_at
        assert result.return_value is None
        assert result.task == handle
        assert result.args == [1] and result.kwargs == {"two": 3}
        assert result.attempts == 1 and len(result.worker_ids) == 1


def test_enqueue_and_run_async(run_on_commit, sync):
    for handle in (t.noop_task, t.noop_task_async):
        with run_on_commit():
            result = sync(handle.aenqueue)()
        sync(result.arefresh)()
        assert result.status == SUCCESSFUL and result.attempts == 1
        assert result.args == [] and result.kwargs == {}


def test_catches_exception(run_on_commit):
    with run_on_commit():
        result = t.failing_task_value_error.enqueue()
    result.refresh()
    assert result.status == FAILED and result.is_finished is True
    with pytest.raises(ValueError, match="Task failed"):
        result.return_value  # noqa: B018
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert result.errors[0].exception_class is ValueError
    assert result.errors[0].traceback.endswith("ValueError: This task failed due to ValueError\n")
    assert result.task == t.failing_task_value_error
    assert result.args == [] and result.kwargs == {}


def test_complex_exception(run_on_commit):
    with run_on_commit():
        result = t.complex_exception.enqueue()
    result.refresh()
    assert result.status == FAILED and result._return_value is None
    assert result.errors[0].exception_class is ValueError
    assert 'ValueError(ValueError("This task failed"))' in result.errors[0].traceback


def test_complex_return_value(run_on_commit):
    with run_on_commit():
        result = t.complex_return_value.enqueue()
    result.refresh()
    assert result.status == FAILED and result._return_value is None
    assert result.errors[0].exception_class is TypeError
    assert "Unsupported type" in result.errors[0].traceback


def test_result(run_on_commit, sync):
    with run_on_commit():
        result = default_task_backend.enqueue(t.calculate_meaning_of_life, [], {})
    result.refresh()
    assert result.status == SUCCESSFUL and result.return_value == 42
    with run_on_commit():
        result = sync(default_task_backend.aenqueue)(t.calculate_meaning_of_life, [], {})
    result.refresh()
    assert result.return_value == 42


def test_takes_context(run_on_commit):
    with run_on_commit():
        result = t.get_task_id.enqueue()
        checked = t.check_context.enqueue(1)
    for r in (result, checked):
        r.refresh()
    assert result.return_value == result.id
    assert checked.status == SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_async_task_takes_context():
    # An async task reads its context off the event loop, on another connection: the task row
    # must be committed, as it always is in a worker.
    result = t.async_context_id.enqueue()
    result.refresh()
    assert result.status == SUCCESSFUL and result.return_value == result.id


def test_task_error_invalid_exception(run_on_commit):
    with run_on_commit():
        result = t.failing_task_value_error.enqueue()
    result.refresh()
    assert len(result.errors) == 1
    object.__setattr__(result.errors[0], "exception_class_path", "subprocess.run")
    with pytest.raises(ValueError, match="'subprocess.run' does not reference a valid exception."):
        result.errors[0].exception_class  # noqa: B018
    object.__setattr__(result.errors[0], "exception_class_path", "does.not.exist")
    with pytest.raises(ImportError):
        result.errors[0].exception_class  # noqa: B018


def test_enqueue_logs(run_on_commit, caplog, tasks_logger):
    with caplog.at_level("DEBUG", logger=tasks_logger), run_on_commit():
        result = t.noop_task.enqueue()
    lines = [r.getMessage() for r in caplog.records if r.name == tasks_logger]
    assert len(lines) == 3
    assert "enqueued" in lines[0] and result.id in lines[0]
    assert "state=RUNNING" in lines[1] and result.id in lines[1]
    assert "state=SUCCESSFUL" in lines[2] and result.id in lines[2]


def test_failed_logs(run_on_commit, caplog, tasks_logger):
    with caplog.at_level("DEBUG", logger=tasks_logger), run_on_commit():
        result = t.failing_task_value_error.enqueue()
    lines = [r.getMessage() for r in caplog.records if r.name == tasks_logger]
    assert "state=RUNNING" in lines[1] and result.id in lines[1]
    assert "state=FAILED" in lines[2] and result.id in lines[2]


@pytest.mark.django_db(transaction=True)
def test_enqueue_commits_or_rolls_back_with_the_callers_transaction(null_executor):
    # Django's immediate backend runs at once; GTF's task row is written in the caller's
    # transaction: a rollback leaves no task behind.
    with pytest.raises(RuntimeError), transaction.atomic():
        result = t.noop_task.enqueue()
        raise RuntimeError("roll back")
    with pytest.raises(TaskResultDoesNotExist):
        t.noop_task.get_result(result.id)
    committed = t.noop_task.enqueue()
    assert t.noop_task.get_result(committed.id).status == READY


def test_deferred_task_is_ready_until_due(null_executor):
    later = timezone.now() + timedelta(hours=1)
    result = t.noop_task.using(run_after=later).enqueue()
    assert result.status == READY and result.task.run_after == later
    fetched = t.noop_task.get_result(result.id)
    assert fetched == result and fetched.task.run_after == later
