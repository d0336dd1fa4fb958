"""Shell commands as task types, configured only in settings (``GTF["SHELL_COMMANDS"]``).

Each command is an argv template; a placeholder ``{name}`` becomes a string parameter of
the task type ``shell.<command>``. A parameter's value is substituted into its argv item and
never split or interpreted: no shell runs. The process gets its own process group, a
controlled working directory and environment, and is killed as a group on abort or timeout.

A value that would begin an argv item with ``-`` is refused at submit (and again before the
command runs) unless the template makes it safe: the item comes after a literal ``--`` item,
or text precedes the placeholder in its item (``--label={label}``). Otherwise the program
would read the value as one of its options.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from tasks_app import params
from tasks_app.conf import conf
from tasks_app.exceptions import ParameterError
from tasks_app.jsonvalues import clean_text
from tasks_app.registry import TaskDefinition, registry
from tasks_app.worker.context import TaskContext

PREFIX = "shell."
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}$")
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPTIONS = {"argv", "cwd", "env", "timeout", "scope", "description", "defaults"}
_STRING = params.JsonType(frozenset({"string"}))
END_OF_OPTIONS = "--"


class ShellCommandFailed(Exception):
    """The command exited with a non-zero code."""


@dataclass(frozen=True)
class ShellCommand:
    name: str
    argv: tuple[str, ...]
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    timeout: int | None = None
    scope: str = "system"
    description: str = ""
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def placeholders(self) -> list[str]:
        seen: list[str] = []
        for item in self.argv:
            for match in _TOKEN.finditer(item):
                if match.group(1) and match.group(1) not in seen:
                    seen.append(match.group(1))
        return seen

    def render(self, values: dict[str, str]) -> list[str]:
        """The argv with each placeholder replaced inside its own item, braces unescaped."""

        def fill(match: re.Match) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            return values[match.group(1)]

        return [_TOKEN.sub(fill, item) for item in self.argv]

    @property
    def leading(self) -> list[tuple[str, ...]]:
        """Per argv item a program may read as an option (after argv[0], before a literal
        ``--``), the placeholders that open it: what it starts with, if they are not empty."""
        out: list[tuple[str, ...]] = []
        for item in self.argv[1:]:
            if item == END_OF_OPTIONS:
                break
            names: list[str] = []
            pos = 0
            for match in _TOKEN.finditer(item):
                if match.start() != pos or not match.group(1):
                    break  # literal text (or a literal brace) comes first
                names.append(match.group(1))
                pos = match.end()
            if names:
                out.append(tuple(names))
        return out

    def option_problems(self, values: dict[str, Any]) -> dict[str, str]:
        """Parameters whose value would start an option of the program (name -> message).
        A value equal to the configured default is the operator's own and is let through."""
        problems: dict[str, str] = {}
        for names in self.leading:
            filled = [n for n in names if values.get(n)]
            if not filled:
                continue
            name = filled[0]
            value = values[name]
            if str(value).startswith("-") and value != self.defaults.get(name):
                problems[name] = (
                    "must not start with '-': the command would read it as an option "
                    "(the command's argv needs '--' before it to accept such values)."
                )
        return problems


def parse(name: Any, spec: Any) -> ShellCommand:
    """Read one ``SHELL_COMMANDS`` entry: an argv list, or a dict with ``argv`` and options."""
    where = f"GTF['SHELL_COMMANDS'][{name!r}]"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ImproperlyConfigured(f"{where}: a command name is letters, digits, '_', '.', '-'.")
    if isinstance(spec, list | tuple):
        spec = {"argv": spec}
    if not isinstance(spec, dict):
        raise ImproperlyConfigured(f"{where} must be an argv list or a dict with 'argv'.")
    unknown = sorted(set(spec) - _OPTIONS)
    if unknown:
        raise ImproperlyConfigured(
            f"{where} has unknown option(s) {unknown}; known: {sorted(_OPTIONS)}."
        )
    argv = spec.get("argv")
    if not argv or not isinstance(argv, list | tuple) or not all(isinstance(a, str) for a in argv):
        raise ImproperlyConfigured(f"{where}['argv'] must be a non-empty list of strings.")
    if _TOKEN.search(argv[0]):
        raise ImproperlyConfigured(f"{where}: the program (argv[0]) cannot be a placeholder.")
    cwd = spec.get("cwd")
    if cwd is not None and (not isinstance(cwd, str) or not os.path.isabs(cwd)):
        raise ImproperlyConfigured(f"{where}['cwd'] must be an absolute path.")
    env = spec.get("env") or {}
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ImproperlyConfigured(f"{where}['env'] must map strings to strings.")
    timeout = spec.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int)):
        raise ImproperlyConfigured(f"{where}['timeout'] must be whole seconds.")
    defaults = spec.get("defaults") or {}
    command = ShellCommand(
        name=name,
        argv=tuple(argv),
        cwd=cwd,
        env=dict(env),
        timeout=timeout,
        scope=spec.get("scope", "system"),
        description=spec.get("description", "") or f"Runs {argv[0]} (shell command {name!r}).",
        defaults=dict(defaults),
    )
    extra = sorted(set(defaults) - set(command.placeholders))
    if extra or not all(isinstance(v, str) for v in defaults.values()):
        raise ImproperlyConfigured(
            f"{where}['defaults'] must give strings for placeholders only (not {extra})."
        )
    return command


def definition_for(command: ShellCommand) -> TaskDefinition:
    def run(ctx: TaskContext, **values: str) -> dict[str, Any]:
        return execute(command, values, ctx)

    def check(values: dict[str, Any]) -> None:
        problems = command.option_problems(values)
        if problems:
            raise ParameterError(problems)

    # A stable origin per command, so registering again at reload is not a conflict.
    run.__qualname__ = f"shell_command[{command.name}]"
    signature = params.Signature(
        params=tuple(
            params.ParamSpec(p, _STRING, command.defaults.get(p, params._MISSING))
            for p in command.placeholders
        ),
        injected={"ctx": ""},
        check=check,
    )
    return TaskDefinition(
        name=PREFIX + command.name,
        func=run,
        scope=command.scope,
        timeout=command.timeout,
        description=command.description,
        signature=signature,
    )


def register_shell_commands() -> list[str]:
    """Register every configured command as ``shell.<name>``; all or none."""
    configured = conf.SHELL_COMMANDS or {}
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("GTF['SHELL_COMMANDS'] must be a dict of name -> argv.")
    definitions = [definition_for(parse(n, s)) for n, s in configured.items()]
    registry.register(*definitions)
    return [d.name for d in definitions]


class _Capped:
    """Reads a pipe to the end, keeping at most ``limit`` bytes (0: no limit)."""

    def __init__(self, pipe, limit: int):
        self.data = bytearray()
        self.truncated = False
        self._pipe, self._limit = pipe, limit
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with self._pipe:
            for chunk in iter(lambda: self._pipe.read(65536), b""):
                room = self._limit - len(self.data) if self._limit else len(chunk)
                self.data += chunk[: max(room, 0)]
                if room < len(chunk):
                    self.truncated = True  # keep reading so the process never blocks on a pipe

    def text(self) -> str:
        return clean_text(self.data.decode("utf-8", errors="replace"))


def _kill_group(pgid: int, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stopper(proc: subprocess.Popen) -> Callable[[], None]:
    def stop() -> None:
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=conf.SHELL_KILL_GRACE)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)

    return stop


def execute(command: ShellCommand, values: dict[str, str], ctx: TaskContext) -> dict[str, Any]:
    """Run the command; its result, or :class:`ShellCommandFailed` on a non-zero exit."""
    for key, value in values.items():
        if "\x00" in value:
            raise ValueError(f"Parameter {key!r} contains a NUL character.")
    # Checked at submit too; a task submitted before the check existed is refused here.
    problems = command.option_problems({**command.defaults, **values})
    if problems:
        key, message = next(iter(problems.items()))
        raise ValueError(f"Parameter {key!r} {message}")
    argv = command.render({**command.defaults, **values})
    env = {**(conf.SHELL_ENV or {}), **command.env}
    limit = conf.SHELL_OUTPUT_LIMIT
    with tempfile.TemporaryDirectory(prefix="gtf-shell-") as scratch:
        proc = subprocess.Popen(
            argv,
            cwd=command.cwd or scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed as a whole
            close_fds=True,
        )
        out, err = _Capped(proc.stdout, limit), _Capped(proc.stderr, limit)
        ctx.on_abort(_stopper(proc))
        try:
            code = proc.wait()
        finally:
            # Also ends children that outlived the command or a worker's hard timeout.
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait()
            out.thread.join(timeout=5)
            err.thread.join(timeout=5)
    result: dict[str, Any] = {
        "argv": argv,
        "exit_code": code,
        "stdout": out.text(),
        "stderr": err.text(),
        "truncated": out.truncated or err.truncated,
    }
    ctx.raise_if_aborting()
    if code != 0:
        ctx.update(payload=result)  # the result column is kept for successes
        tail = result["stderr"].strip().splitlines()[-1:] or [""]
        raise ShellCommandFailed(f"{command.name} exited with code {code}. {tail[0]}".strip())
    return result
