"""Settings of the GTF host project, driven by the environment.

``DATABASE_URL`` selects the database (default: SQLite in ``var/``), ``REDIS_URL`` selects the
Redis broker for Django-Q2 (default: the ORM broker on the default database).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import django

from gtf_project import dburl

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GTF_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "gtf-insecure-development-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver"
).split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "tasks_app",
    "state_app",
    "gtf_project.demo",
]
# Django's standard tasks API: core django.tasks on Django 6, the backport app on Django 5.2.
if django.VERSION < (6, 0) and importlib.util.find_spec("django_tasks"):
    INSTALLED_APPS.append("django_tasks")
TASKS = {"default": {"BACKEND": "tasks_app.backends.GTFBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gtf_project.urls"
WSGI_APPLICATION = "gtf_project.wsgi.application"
ASGI_APPLICATION = "gtf_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# 0: a connection per request. Persistent ones stay open per thread (runserver runs a thread
# per request, ASGI a thread per sync call) until the database refuses clients.
CONN_MAX_AGE = int(os.environ.get("GTF_CONN_MAX_AGE", "0"))
DATABASES = {
    "default": dburl.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE)
    if DATABASE_URL
    else dburl.sqlite_database(VAR_DIR / "gtf.sqlite3")
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GTF API",
    "DESCRIPTION": "Submit, watch and abort long-running tasks.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components, so read-only fields never look writable.
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: nullable references are plain JSON Schema (oneOf null), which validators agree on.
    "OAS_VERSION": "3.1.0",
    # Swagger UI and ReDoc from this server's static files: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": os.environ.get("GTF_Q_NAME", "gtf"),
    "workers": int(os.environ.get("GTF_Q_WORKERS", "2")),
    # Hard backstop per job; GTF sets each task's own timeout below this.
    "timeout": int(os.environ.get("GTF_Q_TIMEOUT", "3600")),
    # Must exceed timeout, or Django-Q2 re-delivers jobs that are still running.
    "retry": int(os.environ.get("GTF_Q_RETRY", "3660")),
    "max_attempts": 1,
    "save_limit": 0,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.2,
    "label": "Django Q2",
    # GTF's broker: the task table is the queue (ORM) or GTF marks what it takes (Redis), and
    # each cluster runs GTF's keeper.
    "broker_class": "tasks_app.worker.executors.broker.GTFBroker",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

GTF = {
    "EXECUTOR": os.environ.get(
        "GTF_EXECUTOR", "tasks_app.worker.executors.django_q.DjangoQExecutor"
    ),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "tasks_app": {"handlers": ["console"], "level": os.environ.get("GTF_LOG_LEVEL", "INFO")},
        "state_app": {"handlers": ["console"], "level": os.environ.get("GTF_LOG_LEVEL", "INFO")},
    },
}
