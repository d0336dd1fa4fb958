from django.core.management.base import BaseCommand

from tasks_app.worker.reaper import reap


class Command(BaseCommand):
    help = (
        "End or requeue running tasks whose worker stopped heartbeating (STALE_AFTER), give back "
        "the tasks claimed by clusters that stopped, and push again the messages a broker lost. "
        "Each cluster's keeper runs this on its own; so does the 'gtf.reap' schedule."
    )

    def handle(self, *args, **options):
        report = reap()
        for label, uuids in vars(report).items():
            if not isinstance(uuids, list):
                self.stdout.write(f"{label}: {uuids}")
                continue
            self.stdout.write(f"{label}: {len(uuids)}")
            for uuid in uuids:
                self.stdout.write(f"  {uuid}")
