"""How long a worker's progress write takes to show on the page, streamed and polled.

Each write's time is recorded by the task (``t.paced``) and each change of the page's
progress text by the browser, on the same clock. ``GTF_LATENCY_UPDATES`` sets how many
updates are measured (docs/task-center.md gives a run with 50). The figures are written to
``var/screenshots/latency-<mode>.json``.
"""

from __future__ import annotations

import json
import os
import re
import statistics

import pytest

from tasks_app.models import Task, TaskStatus
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.browser.test_task_center import submit_form
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, events, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.qcluster]
UPDATES = int(os.environ.get("GTF_LATENCY_UPDATES", "20"))
SPACING = 0.6  # seconds between writes (a poll may see two of them at once)
STEP = re.compile(r"(\d+) / \d+")
OBSERVE = """() => {
  window.__gtfSeen = [];
  const text = document.querySelector('#gtf-task [data-role=progress-text]');
  new MutationObserver(() => window.__gtfSeen.push([text.textContent, Date.now() / 1000]))
    .observe(text, {childList: true, characterData: true, subtree: true});
}"""


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@pytest.mark.parametrize("mode", ["sse", "poll"])
def test_delay_from_a_progress_write_to_the_page(
    mode, request, cluster, people, new_page, events_dir, settings
):
    if mode == "sse":
        base = request.getfixturevalue("asgi_server")
    else:  # Django's threaded WSGI live server: the page polls the status endpoint
        base = request.getfixturevalue("live_server").url
        settings.GTF = {**settings.GTF, **FAST_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    page = new_page()
    log_in(page, base, "alice")
    steps = UPDATES + 2
    task = submit_form(page, base, "t.paced", {"steps": steps, "seconds": SPACING})
    page.evaluate(OBSERVE)
    assert page.locator("[data-live]").get_attribute("data-live") == mode
    wait_for(
        lambda: Task.objects.get(pk=task.pk).status == TaskStatus.SUCCESS,
        timeout=steps * SPACING + 30,
        what="the task to end",
    )
    page.wait_for_timeout(1500)  # the last update's way to the page
    written = {}
    for line in events(events_dir, "progress"):
        uuid, step, at = line.split()
        if uuid == str(task.uuid):
            written[int(step)] = float(at)
    shown = []  # (step, when) as the page showed them
    for text, at in page.evaluate("window.__gtfSeen"):
        match = STEP.search(text)
        if match:
            shown.append((int(match.group(1)), at))

    def seen_at(step):
        """When the page first showed this step or a later one (a poll may skip steps)."""
        return next((at for s, at in shown if s >= step), None)

    # Step 1 may have been written before the page watched: measure from the second on.
    delays = [seen_at(s) - at for s, at in sorted(written.items()) if s >= 2 and seen_at(s)]
    figures = {
        "mode": mode,
        "updates": len(delays),
        "skipped": len({s for s in written if s >= 2} - {s for s, _ in shown}),
        "median_s": round(statistics.median(delays), 3),
        "p95_s": round(percentile(delays, 95), 3),
        "max_s": round(max(delays), 3),
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"latency-{mode}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(figures)
    assert len(delays) >= UPDATES * 0.9, figures
    assert all(d > -0.05 for d in delays), f"shown before written? {figures}"
    # Within one progress throttle interval (1 s by default) for most updates.
    assert figures["median_s"] < 1.0, figures
