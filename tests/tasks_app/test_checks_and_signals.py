import pytest
from django.test import override_settings

from tasks_app import signals
from tasks_app.services import task_abort, task_submit
from tasks_app.worker.executors.django_q import DjangoQExecutor


def ids(messages):
    return [m.id for m in messages]


def check_cluster_timeouts():
    return DjangoQExecutor().check()


def test_cluster_timeout_not_below_retry_is_an_error():
    with override_settings(Q_CLUSTER={"timeout": 600, "retry": 600}):
        messages = check_cluster_timeouts()
    assert "gtf.E010" in ids(messages)
    error = next(m for m in messages if m.id == "gtf.E010")
    assert "must be smaller than retry" in error.msg and error.hint


def test_task_timeout_beyond_retry_warns_per_type():
    with override_settings(Q_CLUSTER={"timeout": 60, "retry": 90}):
        messages = check_cluster_timeouts()
    warned = [m.msg for m in messages if m.id == "gtf.W011"]
    assert any("'t.abortable' may run 120 s" in w for w in warned)
    assert not any("'t.sleep'" in w for w in warned)  # 60 s fits


def test_project_settings_pass():
    with override_settings(GTF={"DEFAULT_TIMEOUT": 600}):
        assert "gtf.E010" not in ids(check_cluster_timeouts())


@pytest.fixture
def recorded():
    seen = []
    names = ("task_submitted", "task_joined", "task_started", "task_finished", "task_aborted")

    def make(name):
        def receiver(sender, task, **kw):
            seen.append((name, task.task_type, kw.get("status"), kw.get("user")))

        return receiver

    handlers = {name: make(name) for name in names}
    for name, fn in handlers.items():
        getattr(signals, name).connect(fn)
    yield seen
    for name, fn in handlers.items():
        getattr(signals, name).disconnect(fn)


@pytest.mark.django_db
def test_signals_of_a_run(user, recorded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        task_submit(task_type="t.add", user=user, parameters={"a": 1})
    assert [s[0] for s in recorded] == ["task_submitted", "task_started", "task_finished"]
    assert recorded[2][2] == "SUCCESS"


@pytest.mark.django_db
def test_signals_of_join_and_abort(
    user, other, recorded, settings, django_capture_on_commit_callbacks
):
    settings.GTF = {**settings.GTF, "EXECUTOR": "tests.executors.NullExecutor"}
    with django_capture_on_commit_callbacks(execute=True):
        t = task_submit(task_type="t.shared_noop", user=user, task_key="j").task
        task_submit(task_type="t.shared_noop", user=other, task_key="j")
        task_abort(task_uuid=t.uuid, user=user)  # other remains: only unsubscribes
        task_abort(task_uuid=t.uuid, user=other)
    assert recorded == [
        ("task_submitted", "t.shared_noop", None, None),
        ("task_joined", "t.shared_noop", None, other),
        ("task_finished", "t.shared_noop", "ABORTED", None),
        ("task_aborted", "t.shared_noop", None, other),
    ]
