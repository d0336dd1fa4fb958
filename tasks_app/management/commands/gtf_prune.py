from django.core.management.base import BaseCommand, CommandError

from tasks_app.conf import conf
from tasks_app.exceptions import GTFError, InvalidInput
from tasks_app.management.users import actor
from tasks_app.ops.pruning import prune


class Command(BaseCommand):
    help = (
        "Delete finished tasks that ended more than RETENTION_DAYS days ago (or --days), in "
        "batches of PRUNE_BATCH_SIZE, and audit rows as old. Also runs hourly as the 'gtf.prune' "
        "schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="override RETENTION_DAYS")
        parser.add_argument("--batch-size", type=int, help="override PRUNE_BATCH_SIZE")
        parser.add_argument("--dry-run", action="store_true", help="only count what would go")
        parser.add_argument(
            "--user",
            help="prune as this user (their permissions apply, the audit trail names them); "
            "default: the system",
        )

    def handle(self, *args, **options):
        days = options["days"]
        if days is None and conf.RETENTION_DAYS is None:
            self.stdout.write("RETENTION_DAYS is None: finished tasks are kept. Use --days.")
            return
        try:
            count = prune(
                older_than_days=days,
                batch_size=options["batch_size"],
                dry_run=options["dry_run"],
                user=actor(options),
            )
        except InvalidInput as exc:
            option = {"older_than_days": "--days", "batch_size": "--batch-size"}[exc.field]
            raise CommandError(f"{option}: {exc.message}") from exc
        except GTFError as exc:
            raise CommandError(exc.message) from exc
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"{verb} {count} finished task(s).")
