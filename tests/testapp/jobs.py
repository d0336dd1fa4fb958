"""Django's tasks API in a module GTF does not discover (not ``tasks.py``), and that nothing a
worker loads imports: a worker finds these types through the module recorded on each task."""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the backport
    from django_tasks import task


@task()
def multiply(a: int, b: int) -> int:
    return a * b
