"""The task center in a real browser: submit, live progress, abort, join and leave, 404s,
tracebacks, no JavaScript, polling under WSGI. Saves screenshots to var/screenshots/."""

from __future__ import annotations

import re

import pytest

from tasks_app.models import Task, TaskStatus, TaskSubscriber
from tests.browser.conftest import log_in, screenshot
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.qcluster]
S = TaskStatus
UUID = re.compile(r"/tasks/([0-9a-f-]{36})/$")


def submit_form(page, base, task_type, fields=None, options=None) -> Task:
    page.goto(f"{base}/tasks/types/")
    page.click(f'a[href="/tasks/types/{task_type}/submit/"]')
    for name, value in (fields or {}).items():
        page.fill(f"#id_p-{name}", str(value))
    if options:
        page.click("summary")  # the options are folded away
        for name, value in options.items():
            if name == "scope":
                page.select_option("#id_scope", value)
            else:
                page.fill(f"#id_{name}", str(value))
    page.click("form.gtf-form button[type=submit]")
    page.wait_for_url(UUID)
    return Task.objects.get(uuid=UUID.search(page.url).group(1))


def progress_now(page) -> float:
    value = page.locator("#gtf-task progress").get_attribute("aria-valuenow")
    return float(value) if value is not None else -1.0


def watch_progress_without_reload(page, steps: int = 3) -> list[float]:
    """Distinct progress values seen while the page is not reloaded (a marker survives)."""
    page.evaluate("window.__gtfMarker = 'still here'")
    seen: list[float] = []

    def advanced():
        value = progress_now(page)
        if value > 0 and (not seen or value > seen[-1]):
            seen.append(value)
        return len(seen) >= steps

    wait_for(advanced, timeout=30, interval=0.1, what="the progress bar to advance")
    assert page.evaluate("window.__gtfMarker") == "still here", "the page was reloaded"
    return seen


def badge(page) -> str:
    return page.locator("#gtf-task [data-role=status-label]").inner_text()


def test_submit_watch_live_progress_and_abort(asgi_server, cluster, people, new_page):
    page = new_page()
    log_in(page, asgi_server, "alice")
    task = submit_form(page, asgi_server, "t.paced", {"steps": 400, "seconds": 0.1})
    assert page.locator("#gtf-task").get_attribute("data-task") == str(task.uuid)
    assert page.locator("[data-live]").get_attribute("data-live") == "sse"
    watch_progress_without_reload(page)
    page.wait_for_selector("text=Updates live.")
    assert page.locator("#gtf-task [role=progressbar]").count() == 1
    screenshot(page, "detail-running")

    page.goto(f"{asgi_server}/tasks/")
    row = page.locator(f'tr[data-task="{task.uuid}"]')
    before = float(row.locator("progress").get_attribute("aria-valuenow"))
    wait_for(
        lambda: float(row.locator("progress").get_attribute("aria-valuenow")) > before,
        timeout=20,
        what="the list's progress bar to advance",
    )
    screenshot(page, "list")
    phone = new_page(width=390, height=844)
    log_in(phone, asgi_server, "alice")
    screenshot(phone, "list-phone")
    phone.goto(f"{asgi_server}/tasks/{task.uuid}/")
    screenshot(phone, "detail-phone")

    page.click(f'tr[data-task="{task.uuid}"] a')
    page.click("button:has-text('Abort')")
    page.wait_for_function(
        "() => document.querySelector('#gtf-task [data-role=status-label]').textContent"
        " === 'Aborted'"
    )
    task.refresh_from_db()
    assert task.status == S.ABORTED
    assert page.locator("button:has-text('Abort')").count() == 0  # the page redrew its actions
    screenshot(page, "detail-aborted")


def test_a_second_user_joins_a_shared_task_and_leaves_it(asgi_server, cluster, people, new_page):
    alice, bob = new_page(), new_page()
    log_in(alice, asgi_server, "alice")
    shared = {"task_key": "nightly", "scope": "shared"}
    task = submit_form(alice, asgi_server, "t.paced_shared", {"steps": 400}, shared)
    log_in(bob, asgi_server, "bob")
    joined = submit_form(bob, asgi_server, "t.paced_shared", {"steps": 400}, shared)
    assert joined.pk == task.pk
    bob.wait_for_selector("text=you joined it instead of starting another")
    assert bob.locator("#gtf-task").inner_text().count("bob") >= 1
    assert bob.locator("button:has-text('Abort')").count() == 0  # others follow it: leave
    screenshot(bob, "detail-shared")
    bob.click("button:has-text('Leave')")
    bob.wait_for_url(f"{asgi_server}/tasks/")
    bob.wait_for_selector("text=You left")
    assert not TaskSubscriber.objects.filter(task=task, user=people["bob"]).exists()
    task.refresh_from_db()
    assert task.is_active and TaskSubscriber.objects.filter(task=task).count() == 1
    bob.goto(f"{asgi_server}/tasks/{task.uuid}/")
    assert "Not found" in bob.content()
    alice.goto(f"{asgi_server}/tasks/{task.uuid}/")
    alice.click("button:has-text('Abort')")  # now the last subscriber: abort is offered
    wait_for(lambda: Task.objects.get(pk=task.pk).status == S.ABORTED, what="abort")


def test_another_user_gets_a_404_for_a_private_task(asgi_server, cluster, people, new_page):
    alice, carol = new_page(), new_page()
    log_in(alice, asgi_server, "alice")
    task = submit_form(alice, asgi_server, "t.add", {"a": 1})
    log_in(carol, asgi_server, "carol")
    response = carol.goto(f"{asgi_server}/tasks/{task.uuid}/")
    assert response.status == 404
    assert "No task here, or none you may see." in carol.content()
    assert task.task_key not in carol.content()


def test_staff_see_the_traceback_and_the_user_does_not(asgi_server, cluster, people, new_page):
    alice, admin = new_page(), new_page()
    log_in(alice, asgi_server, "alice")
    task = submit_form(alice, asgi_server, "t.fails", {"source": "the ledger"})
    alice.wait_for_function(
        "() => document.querySelector('#gtf-task [data-role=status-label]').textContent"
        " === 'Failure'"
    )
    alice.wait_for_selector("text=cannot reach the ledger")  # redrawn without a reload
    assert alice.locator("[data-role=traceback]").count() == 0
    assert "_helper_that_raises" not in alice.content()
    log_in(admin, asgi_server, "admin")
    admin.goto(f"{asgi_server}/tasks/{task.uuid}/")
    assert "_helper_that_raises" in admin.locator("[data-role=traceback]").inner_text()
    screenshot(admin, "detail-failed-staff")


def test_the_pages_work_without_javascript(asgi_server, cluster, people, new_page):
    page = new_page(javascript=False)
    log_in(page, asgi_server, "alice")
    task = submit_form(page, asgi_server, "t.paced", {"steps": 400, "seconds": 0.1})
    wait_for(lambda: Task.objects.get(pk=task.pk).progress_percent, what="progress")
    page.reload()
    assert progress_now(page) > 0
    assert page.locator("noscript").count() >= 1
    page.click("button:has-text('Abort')")
    page.wait_for_url(f"{asgi_server}/tasks/{task.uuid}/")
    assert "Abort requested." in page.content()
    wait_for(lambda: Task.objects.get(pk=task.pk).status == S.ABORTED, what="abort")
    page.reload()
    assert badge(page) == "Aborted"
    screenshot(page, "detail-no-javascript")


def test_polling_under_wsgi(live_server, cluster, people, new_page, settings):
    settings.GTF = {**settings.GTF, **FAST_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    page = new_page()
    log_in(page, live_server.url, "alice")
    task = submit_form(page, live_server.url, "t.paced", {"steps": 400, "seconds": 0.1})
    assert page.locator("[data-live]").get_attribute("data-live") == "poll"
    watch_progress_without_reload(page)
    page.wait_for_selector("text=Updates every few seconds.")
    page.click("button:has-text('Abort')")
    page.wait_for_function(
        "() => document.querySelector('#gtf-task [data-role=status-label]').textContent"
        " === 'Aborted'"
    )
    assert Task.objects.get(pk=task.pk).status == S.ABORTED
