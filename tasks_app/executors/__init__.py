"""Executors hand submitted tasks to something that runs them."""

from tasks_app.executors.base import Executor, Periodic, Timetable, get_executor

__all__ = ["Executor", "Periodic", "Timetable", "get_executor"]
