from django.core.management.base import BaseCommand

from tasks_app.ops import task_types as types


class Command(BaseCommand):
    help = (
        "List orphan task types: referenced by the type table, pending tasks or schedules but "
        "registered by no code. --sync also mirrors the registry into the type table and ends "
        "pending tasks of orphan types as FAILURE (as each worker does when it starts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sync", action="store_true", help="sync and fail orphan tasks")

    def handle(self, *args, **options):
        if options["sync"]:
            report = types.task_types_sync()
            orphans = report.orphans
            self.stdout.write(f"New task types: {len(report.created)}")
            for name in report.created:
                self.stdout.write(f"  {name}")
            self.stdout.write(
                f"Pending tasks of orphan types ended FAILURE: {len(report.failed_tasks)}"
            )
            for uuid in report.failed_tasks:
                self.stdout.write(f"  {uuid}")
        else:
            orphans = types.orphans_find()
        self.stdout.write(f"Orphan task types: {len(orphans)}")
        for orphan in orphans:
            self.stdout.write(f"  {orphan.describe()}")
