from tasks_app.dispatch import Executor


class NullExecutor(Executor):
    """Leaves submitted tasks PENDING (for tests of submit itself)."""

    def enqueue_many(self, tasks) -> None:
        return None
