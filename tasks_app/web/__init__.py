"""The task center: server-rendered pages for every user, with live progress.

Mount with ``path("tasks/", include("tasks_app.web.urls"))``. The pages read through
``tasks_app.selectors`` and write through ``tasks_app.services``, like the API.
"""
