from django.core.management.base import BaseCommand, CommandError

from tasks_app.exceptions import GTFError
from tasks_app.management.users import actor, add_actor_arguments
from tasks_app.ops import task_types as types


class Command(BaseCommand):
    help = (
        "List task types (enabled flag, orphan status), or enable/disable types at run time: "
        "'gtf_types', 'gtf_types disable NAME [NAME ...]', 'gtf_types enable NAME [NAME ...]'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action", nargs="?", default="list", choices=["list", "enable", "disable"]
        )
        parser.add_argument("names", nargs="*", metavar="NAME", help="task type names")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        action, names = options["action"], options["names"]
        if action == "list":
            if names:
                raise CommandError("'list' takes no names.")
            for info in types.task_type_list():
                flags = "enabled " if info.enabled else "DISABLED"
                orphan = "  ORPHAN (not registered)" if info.is_orphan else ""
                self.stdout.write(f"{info.name:<40} {flags}{orphan}")
            return
        if not names:
            raise CommandError(f"'{action}' needs at least one task type name.")
        for name in names:
            try:
                types.task_type_get(name=name)
            except GTFError as exc:
                raise CommandError(exc.message) from exc
        user = actor(options)
        for name in names:
            try:
                types.task_type_set_enabled(
                    name=name, enabled=action == "enable", user=user, reason=options["reason"]
                )
            except GTFError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(f"{name}: {action}d")
