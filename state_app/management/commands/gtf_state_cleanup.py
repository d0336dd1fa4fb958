from django.core.management.base import BaseCommand, CommandError

from state_app.cleanup import state_cleanup


class Command(BaseCommand):
    help = (
        "Delete expired task state in batches. Also runs as the 'gtf.state_cleanup' schedule; "
        "reads ignore expired entries whether or not this has run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per DELETE")
        parser.add_argument(
            "--dry-run", action="store_true", help="count the expired rows, delete nothing"
        )

    def handle(self, *args, batch_size, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        count = state_cleanup(batch_size=batch_size, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {count} expired task state entries")
