from django.core.management.base import BaseCommand, CommandError

from tasks_app.models import Task, TaskStatus


class Command(BaseCommand):
    help = "List tasks, newest first: uuid, type, key, status, progress, created (UTC)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            metavar="STATUS",
            help=f"only this status (repeatable): {', '.join(TaskStatus.values)}",
        )
        parser.add_argument("--type", dest="task_type", help="only this task type")
        parser.add_argument("--key", help="only this task key")
        parser.add_argument("--active", action="store_true", help="only pending or running tasks")
        parser.add_argument("--limit", type=int, default=50, help="at most this many (1-1000)")

    def handle(self, *args, **options):
        wrong = [s for s in options["status"] if s not in TaskStatus.values]
        if wrong:
            raise CommandError(
                f"Unknown status {wrong[0]!r}; choose from {', '.join(TaskStatus.values)}."
            )
        if not 1 <= options["limit"] <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        tasks = Task.objects.active() if options["active"] else Task.objects.all()
        if options["status"]:
            tasks = tasks.filter(status__in=options["status"])
        if options["task_type"]:
            tasks = tasks.filter(task_type=options["task_type"])
        if options["key"]:
            tasks = tasks.filter(task_key=options["key"])
        rows = list(tasks.order_by("-created_at", "-id")[: options["limit"]])
        for t in rows:
            percent = "" if t.progress_percent is None else f"{t.progress_percent:.0f}%"
            self.stdout.write(
                f"{t.uuid}  {t.task_type:<24} {t.task_key[:24]:<24} {t.status:<11} "
                f"{percent:>4}  {t.created_at:%Y-%m-%d %H:%M:%S}"
            )
        self.stdout.write(f"{len(rows)} task(s)")
