"""Errors raised by the state stores; each declares its kind, as every GTF error does."""

from __future__ import annotations

from typing import Any

from tasks_app.exceptions import CONFLICT, FORBIDDEN, NOT_FOUND, PRECONDITION_FAILED, GTFError


class InvalidValue(GTFError):
    """A value breaks a rule of the state values (HTTP 400); ``rule`` names the rule."""

    field = "value"

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)

    @property
    def code(self) -> str:
        return self.rule


class InvalidKey(GTFError):
    """A state key or asset name is malformed (HTTP 400)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class InvalidExpiry(GTFError):
    """A ``ttl`` that is not a positive number of seconds, or one given for asset state."""

    field = "ttl"


class StateNotFound(GTFError):
    """No live entry has this key (HTTP 404)."""

    kind = NOT_FOUND
    default_message = "No state entry with this key."


class VersionMismatch(GTFError):
    """The entry's version is not the expected one (HTTP 412)."""

    kind = PRECONDITION_FAILED

    def __init__(self, *, expected: int | str, current: int | None):
        self.expected, self.current = expected, current
        found = "the entry does not exist" if current is None else f"it is {current}"
        super().__init__(f"Expected version {expected}, but {found}.")

    def details(self) -> dict[str, Any]:
        return {"current_version": self.current}


class StateForbidden(GTFError):
    """The caller may see the state but not change it, or may not see it at all (HTTP 403)."""

    kind = FORBIDDEN
    default_message = "You do not have permission to change this state."


class UndecodableEntry(GTFError):
    """The stored text of an entry is not JSON, so it cannot be updated in place (HTTP 409)."""

    kind = CONFLICT

    def __init__(self, key: str, raw: str):
        self.key, self.raw = key, raw
        super().__init__(f"The stored value of {key!r} cannot be decoded; set it anew instead.")
