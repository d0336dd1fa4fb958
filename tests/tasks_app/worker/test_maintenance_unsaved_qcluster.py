"""GTF's maintenance jobs on a real cluster leave no Success rows in Django-Q2's history (they
would push the host's own results out of ``save_limit``); the host's jobs are still saved."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule, Success
from django_q.tasks import async_task

from tasks_app.ops.maintenance import install_periodic_jobs
from tests.qcluster import DJANGO_Q_EXECUTOR, FAST_GTF, qcluster, wait_for

pytestmark = [pytest.mark.qcluster, pytest.mark.django_db(transaction=True)]
REAP = "tasks_app.worker.reaper.reap"


@pytest.fixture
def on_cluster(settings):
    settings.GTF = {**settings.GTF, **FAST_GTF, "EXECUTOR": DJANGO_Q_EXECUTOR}
    yield
    connection.close()


def processed(log, func: str) -> bool:
    return f"Processed '{func}'" in log.read_text()


def test_the_reap_schedule_stores_no_success_and_the_hosts_jobs_still_do(tmp_path, on_cluster):
    install_periodic_jobs()
    Schedule.objects.filter(name="gtf.reap").update(next_run=timezone.now() - timedelta(minutes=1))
    connection.close()
    log = tmp_path / "q.log"
    # Django-Q2's own default history size; the scheduler runs 15 s after start.
    options = {"guard_cycle": 15, "save_limit": 250}
    with qcluster(events_dir=tmp_path, workers=1, q=options, log=log):
        host_job = async_task("math.sqrt", 16.0)
        connection.close()
        wait_for(lambda: processed(log, REAP), timeout=60, what="the scheduler to run gtf.reap")
        wait_for(lambda: Success.objects.filter(id=host_job).exists(), what="the host's job")
        connection.close()
    assert Schedule.objects.get(name="gtf.reap").task  # it fired
    assert not Success.objects.filter(func=REAP).exists()
    assert Success.objects.get(id=host_job).result == 4.0
