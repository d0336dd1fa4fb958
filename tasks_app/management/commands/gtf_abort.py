from django.core.management.base import BaseCommand, CommandError

from tasks_app.exceptions import GTFError
from tasks_app.management.users import actor, add_actor_arguments
from tasks_app.services import task_abort


class Command(BaseCommand):
    help = (
        "Abort a task as an operator: a pending task is ABORTED at once, a running abortable "
        "task becomes ABORTING; a shared task is aborted whatever its subscribers. Recorded "
        "in the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("uuid", help="the task's uuid")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        try:
            result = task_abort(
                task_uuid=options["uuid"],
                user=actor(options),
                force=True,
                reason=options["reason"],
            )
        except GTFError as exc:
            raise CommandError(f"{exc.message} ({options['uuid']})") from exc
        self.stdout.write(f"Task {result.task.uuid}: {result.task.status}")
