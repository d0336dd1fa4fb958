"""Playwright driving Debian's Chromium against a live server and a real qcluster.

Run with ``make test-browser`` (``pytest -m browser tests/browser``); other runs deselect
these tests, like PostgreSQL-only tests elsewhere. Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import StaffFactory, UserFactory
from tests.liveserver import uvicorn_server
from tests.qcluster import ROOT, qcluster

CHROMIUM = os.environ.get("GTF_CHROMIUM", "/usr/bin/chromium")
# The network is closed here: without these Chromium stalls on its own background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "pw"


def pytest_collection_modifyitems(config, items):
    """Browser tests run when asked for (``-m browser``): they need Chromium and a minute."""
    if "browser" in (config.getoption("markexpr") or ""):
        return
    dropped = [item for item in items if item.get_closest_marker("browser") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.get_closest_marker("browser") is None]


@pytest.fixture(scope="session")
def orm_beside_playwright():
    # Playwright's sync API keeps an event loop in this thread; the tests' own queries are
    # plain synchronous ones all the same. Only for sessions that run browser tests.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _close_connection_after(orm_beside_playwright):
    yield
    connection.close()


@pytest.fixture(scope="session")
def browser(orm_beside_playwright, require_service):
    from playwright.sync_api import sync_playwright

    require_service(
        CHROMIUM, Path(CHROMIUM).exists(), "apt-get install -y chromium (.ci/run installs it)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """``new_page(width=1280, javascript=True)``: a page in a fresh browser context."""
    contexts = []

    def make(*, width: int = 1280, height: int = 900, javascript: bool = True):
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("events")


@pytest.fixture(scope="module")
def cluster(
    orm_beside_playwright, django_db_setup, django_db_blocker, tmp_path_factory, events_dir
):
    log = tmp_path_factory.mktemp("logs") / "qcluster.log"
    with django_db_blocker.unblock(), qcluster(events_dir=events_dir, log=log) as proc:
        yield proc


@pytest.fixture(scope="module")
def asgi_server(
    orm_beside_playwright, django_db_setup, django_db_blocker, tmp_path_factory, events_dir
):
    """Base URL of uvicorn serving the project (pages stream over SSE)."""
    log = tmp_path_factory.mktemp("logs") / "uvicorn.log"
    with django_db_blocker.unblock(), uvicorn_server(log=log, events_dir=events_dir) as url:
        yield url


@pytest.fixture
def people(transactional_db):
    return {
        "alice": UserFactory(username="alice", password=PASSWORD),
        "bob": UserFactory(username="bob", password=PASSWORD),
        "carol": UserFactory(username="carol", password=PASSWORD),
        "admin": StaffFactory(username="admin", password=PASSWORD),
    }


def log_in(page, base: str, username: str, next_path: str = "/tasks/") -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
