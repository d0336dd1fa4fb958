"""ASGI entry point (``uvicorn gtf_project.asgi:application``): the task center's event
streams need it; the WSGI entry point serves the same pages with polling instead."""

import os

# Each ASGI request runs its database work in a thread of its own, which a persistent
# connection would outlive: close connections at the end of every request.
os.environ.setdefault("GTF_CONN_MAX_AGE", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtf_project.settings")

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
if settings.DEBUG:
    # What runserver does for WSGI: serve the apps' static files in development.
    application = ASGIStaticFilesHandler(application)
