import json
import time

from django.core.management.base import BaseCommand, CommandError

from tasks_app.exceptions import GTFError
from tasks_app.jsonvalues import MAX_DEPTH, parse
from tasks_app.management.users import natural_user
from tasks_app.models import TERMINAL_STATUSES, Task, TaskStatus
from tasks_app.registry import registry
from tasks_app.services import task_submit

# Exit codes of --wait (documented in docs/operations.md).
EXIT_CODES: dict[str, int] = {
    TaskStatus.FAILURE: 3,
    TaskStatus.ABORTED: 4,
    TaskStatus.TIMED_OUT: 5,
}
INTERRUPTED = 130
BAR_WIDTH = 30


def parse_parameters(task_type: str, pairs: list[str], raw_json: str | None) -> dict:
    """``NAME=VALUE`` pairs: string parameters take VALUE as is, others read it as JSON."""
    parameters = {}
    if raw_json is not None:
        try:
            parameters = parse(raw_json, max_depth=MAX_DEPTH)
        except ValueError as exc:
            raise CommandError(f"--parameters is not valid JSON: {exc}") from exc
        if not isinstance(parameters, dict):
            raise CommandError("--parameters must be a JSON object.")
    specs = {p.name: p for p in registry.get(task_type).signature.params}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"-p {pair!r}: write NAME=VALUE.")
        spec = specs.get(name)
        if spec is not None and spec.json_type.names == frozenset({"string"}):
            parameters[name] = value
            continue
        try:
            parameters[name] = parse(value, max_depth=MAX_DEPTH)
        except ValueError:
            parameters[name] = value  # the parameter check names the problem
    return parameters


class Command(BaseCommand):
    help = (
        "Submit a task of TASK_TYPE (joins the active task with the same key). With --wait, "
        "show its progress until it ends; the exit code is 0 for SUCCESS, 3 FAILURE, "
        "4 ABORTED, 5 TIMED_OUT, 130 if you stop waiting (the task goes on), 1 for bad "
        "arguments or a refused submit."
    )

    def add_arguments(self, parser):
        parser.add_argument("task_type", help="registered task type, e.g. reports.export")
        parser.add_argument(
            "-p",
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a parameter; VALUE is read as JSON unless the parameter is a string",
        )
        parser.add_argument("--parameters", metavar="JSON", help="all parameters as a JSON object")
        parser.add_argument("--key", help="task key: an active task with the same key is joined")
        parser.add_argument("--scope", choices=["private", "shared", "system"])
        parser.add_argument("--name", help="task name shown in lists")
        parser.add_argument("--timeout", type=int, help="seconds before the task is timed out")
        parser.add_argument(
            "--user",
            help="user to submit as, by the user model's USERNAME_FIELD (username, email...); "
            "default: the system (needed for private tasks)",
        )
        parser.add_argument("--wait", action="store_true", help="show progress until the end")
        parser.add_argument(
            "--poll", type=float, default=0.5, help="seconds between checks with --wait"
        )

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = natural_user(options["user"])
        if options["poll"] <= 0:
            raise CommandError("--poll must be a positive number of seconds.")
        try:
            parameters = parse_parameters(
                options["task_type"], options["param"], options["parameters"]
            )
            result = task_submit(
                task_type=options["task_type"],
                user=user,
                parameters=parameters,
                task_key=options["key"],
                scope=options["scope"],
                task_name=options["name"],
                timeout=options["timeout"],
            )
        except GTFError as exc:
            raise CommandError(exc.message) from exc
        task = result.task
        verb = "Submitted" if result.created else "Joined active"
        self.stdout.write(f"{verb} task {task.uuid} ({task.task_type}, {task.status})")
        if result.parameters_differ:
            self.stderr.write(
                f"Its parameters differ from the ones given; it runs with its own: "
                f"{json.dumps(task.parameters, sort_keys=True)}"
            )
        if options["wait"]:
            self.wait(task, options["poll"])

    def wait(self, task: Task, poll: float) -> None:
        tty = self.stdout.isatty()
        last = None
        try:
            while True:
                task.refresh_from_db(fields=["status", "progress_percent", "error_message"])
                shown = (task.status, task.progress_percent)
                if tty:
                    self.stdout.write("\r" + self.line(task), ending="")
                    self.stdout.flush()
                elif shown != last:
                    self.stdout.write(self.line(task))
                last = shown
                if task.status in TERMINAL_STATUSES:
                    break
                time.sleep(poll)
        except KeyboardInterrupt:
            raise CommandError(
                f"Stopped waiting; task {task.uuid} goes on.", returncode=INTERRUPTED
            ) from None
        if tty:
            self.stdout.write("")
        if task.status != TaskStatus.SUCCESS:
            detail = f": {task.error_message}" if task.error_message else ""
            raise CommandError(
                f"Task {task.uuid} ended {task.status}{detail}",
                returncode=EXIT_CODES.get(task.status, 1),
            )
        self.stdout.write(self.style.SUCCESS(f"Task {task.uuid} succeeded."))

    @staticmethod
    def line(task: Task) -> str:
        percent = task.progress_percent
        if percent is None:
            percent = 100.0 if task.status == TaskStatus.SUCCESS else 0.0
        filled = int(BAR_WIDTH * min(max(percent, 0.0), 100.0) / 100)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return f"[{bar}] {percent:5.1f}%  {task.status}"
