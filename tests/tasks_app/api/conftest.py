import pytest


@pytest.fixture
def submit(null_executor):
    """``submit(user, task_type, **options)``: a PENDING task made through the service."""
    from tasks_app.services import task_submit

    def make(user, task_type="t.add", parameters=None, **options):
        if parameters is None and task_type == "t.add":
            parameters = {"a": 1}
        return task_submit(task_type=task_type, user=user, parameters=parameters, **options).task

    return make
