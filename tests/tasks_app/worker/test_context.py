import pytest

from tasks_app import TaskAborted, TaskContext, get_context
from tasks_app.worker.context import normalise_progress


@pytest.mark.parametrize(
    "progress,expected",
    [
        (0.25, (None, None, 25.0)),
        (1.0, (None, None, 100.0)),
        (7, (7.0, None, None)),
        ((3, 12), (3.0, 12.0, 25.0)),
        ([5, 4], (5.0, 4.0, 100.0)),  # over-reporting is capped at 100 %
    ],
)
def test_progress_forms(progress, expected):
    assert normalise_progress(progress) == expected


@pytest.mark.parametrize(
    "progress,error,message",
    [
        (1.5, ValueError, "between 0.0 and 1.0"),
        (-1, ValueError, "cannot be negative"),
        ((1, 0), ValueError, "total > 0"),
        (True, TypeError, "not a bool"),
        ("half", TypeError, "fraction"),
        (("a", 2), TypeError, "must be numbers"),
    ],
)
def test_bad_progress_is_refused(progress, error, message):
    with pytest.raises(error, match=message):
        normalise_progress(progress)


def make_ctx():
    return TaskContext(task_id=-1, uuid="u", task_type="t", attempt=1, payload={"a": 1})


def test_abort_flags():
    ctx = make_ctx()
    assert ctx.is_aborting is False
    ctx.raise_if_aborting()
    assert ctx.mark_aborting(timed_out=True) is True
    assert ctx.mark_aborting() is False
    assert ctx.timed_out is True
    with pytest.raises(TaskAborted):
        ctx.raise_if_aborting()
    assert ctx.abort_noticed is True


def test_cleanup_handlers_run_last_registered_first():
    ctx = make_ctx()
    first, second = (lambda: 1), (lambda: 2)
    ctx.on_cleanup(first)
    ctx.on_cleanup(second)
    assert ctx.cleanup_handlers == [second, first]


def test_payload_must_be_a_dict():
    with pytest.raises(TypeError, match="payload must be a dict"):
        make_ctx().update(payload=[1])


def test_get_context_outside_a_task():
    with pytest.raises(LookupError, match="No GTF task is running here"):
        get_context()
    ctx = make_ctx()
    token = ctx.activate()
    try:
        assert get_context() is ctx
    finally:
        ctx.deactivate(token)
