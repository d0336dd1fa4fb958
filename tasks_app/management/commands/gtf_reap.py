from django.core.management.base import BaseCommand

from tasks_app.worker.reaper import reap


class Command(BaseCommand):
    help = (
        "End or requeue running tasks whose worker stopped heartbeating (STALE_AFTER) and "
        "re-enqueue pending tasks that no queue holds. Also runs as the 'gtf.reap' schedule."
    )

    def handle(self, *args, **options):
        report = reap()
        for label, uuids in vars(report).items():
            self.stdout.write(f"{label}: {len(uuids)}")
            for uuid in uuids:
                self.stdout.write(f"  {uuid}")
