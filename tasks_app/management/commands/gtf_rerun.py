from django.core.management.base import BaseCommand, CommandError

from tasks_app.exceptions import GTFError
from tasks_app.management.users import actor, add_actor_arguments
from tasks_app.services import task_rerun


class Command(BaseCommand):
    help = (
        "Run a finished task again: a new task with its type, key and parameters, linked to it "
        "(rerun_of). A private task is rerun for its creator. If an active task holds the key, "
        "that task is shown instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("uuid", help="the finished task's uuid")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        try:
            result = task_rerun(
                task_uuid=options["uuid"], user=actor(options), reason=options["reason"]
            )
        except GTFError as exc:
            raise CommandError(f"{exc.message} ({options['uuid']})") from exc
        verb = "Rerun as" if result.created else "An active task holds its key:"
        self.stdout.write(f"{verb} task {result.task.uuid} ({result.task.status})")
