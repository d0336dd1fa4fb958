"""Django's standard tasks API on GTF: ``TASKS = {"default": {"BACKEND":
"tasks_app.backends.GTFBackend"}}``.

Core ``django.tasks`` on Django 6.0+, the ``django-tasks`` backport on Django 5.2
(``pip install django-gtf[backport]``). Only this package imports either; the rest of GTF never
does. See docs/django-tasks.md.
"""

from tasks_app.backends.backend import GTFBackend
from tasks_app.backends.task_class import GTFTask, task

__all__ = ["GTFBackend", "GTFTask", "task"]
