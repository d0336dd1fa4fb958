"""Property: whatever the sequence of attempt outcomes, a task makes at most ``retries + 1``
attempts and ends as documented (docs/django-tasks.md, "Retries"):

- an attempt that returns ends it SUCCESSFUL;
- an exception outside ``retry_on`` ends it FAILED at once;
- a ``retry_on`` exception or ``ctx.retry()`` earns another attempt while the budget lasts,
  and ends it FAILED once it is spent.

Each attempt is run in this process by the same runner workers call; the result is read back
through Django's API, so the status mapping and the per-attempt errors are checked too.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks_app.backends.compat import TaskResultStatus
from tasks_app.models import Task as TaskRow
from tasks_app.models import TaskAttempt, TaskStatus
from tasks_app.worker.runner import run_task
from tests.testapp import django_api as t

pytestmark = pytest.mark.django_db
BUDGETS = {0: t.scripted_0, 1: t.scripted_1, 3: t.scripted_3}
STEPS = st.sampled_from(["ok", "flaky", "retry", "fatal"])


def expected(script: list[str], retries: int) -> tuple[str, int]:
    """The documented outcome: (status, attempts made)."""
    for attempt in range(1, retries + 2):
        step = script[attempt - 1] if attempt <= len(script) else "ok"
        if step == "ok":
            return TaskResultStatus.SUCCESSFUL, attempt
        if step == "fatal" or attempt == retries + 1:
            return TaskResultStatus.FAILED, attempt
    raise AssertionError("unreachable")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(STEPS, max_size=6), retries=st.sampled_from(sorted(BUDGETS)))
def test_attempts_stay_within_the_budget_and_end_as_documented(null_executor, script, retries):
    result = BUDGETS[retries].enqueue(script)
    for _ in range(retries + 5):  # more deliveries than the budget allows: extra ones are no-ops
        run_task(result.id)
    result.refresh()
    status, attempts = expected(script, retries)
    assert result.attempts <= retries + 1
    assert (result.status, result.attempts) == (status, attempts)
    failures = attempts - 1 if status == TaskResultStatus.SUCCESSFUL else attempts
    assert len(result.errors) == failures
    assert TaskAttempt.objects.filter(task__uuid=result.id).count() == attempts - 1
    row = TaskRow.objects.get(uuid=result.id)
    assert row.status in (TaskStatus.SUCCESS, TaskStatus.FAILURE) and row.dedup_key is None
    if status == TaskResultStatus.SUCCESSFUL:
        assert result.return_value == attempts
    else:
        last = script[attempts - 1] if attempts <= len(script) else "ok"
        wanted = {"fatal": KeyError, "flaky": t.Flaky}.get(last)
        if wanted is not None:
            assert result.errors[-1].exception_class is wanted
