"""When a schedule runs: checking intervals and cron expressions, computing the next run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import CroniterError, croniter
from django.utils import timezone

from tasks_app.exceptions import InvalidInput
from tasks_app.jsonvalues import text_rule

# Django-Q2's scheduler looks for due schedules about every 30 seconds: a shorter interval
# would silently run every 30 seconds instead.
MIN_INTERVAL = 30
MAX_INTERVAL = 366 * 24 * 3600


def clean_interval(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("interval_seconds", "interval_seconds must be a whole number.")
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise InvalidInput(
            "interval_seconds",
            f"interval_seconds must be between {MIN_INTERVAL} and {MAX_INTERVAL} seconds "
            f"(got {value}); the scheduler checks for due schedules every {MIN_INTERVAL} s.",
        )
    return value


MAX_CRON_LENGTH = 100


def clean_cron(value: Any) -> str:
    """A five-field cron expression (minute hour day-of-month month day-of-week)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("cron", "cron must be a non-empty cron expression, e.g. '*/15 * * * *'.")
    if text_rule(value) is not None:
        raise InvalidInput("cron", "cron must not contain NUL or lone surrogate characters.")
    expression = " ".join(value.split())
    if len(expression) > MAX_CRON_LENGTH:  # the column size here and in Django-Q2's Schedule
        raise InvalidInput("cron", f"cron is longer than {MAX_CRON_LENGTH} characters.")
    fields = expression.split(" ")
    if len(fields) != 5:
        raise InvalidInput(
            "cron",
            f"cron {value!r} has {len(fields)} fields; it needs 5: "
            "minute hour day-of-month month day-of-week.",
        )
    try:
        croniter(expression, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("cron", f"cron {value!r} is not a valid expression: {exc}") from exc
    return expression


def clean_when(field: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInput(field, f"{field} must be a date and time.")
    if timezone.is_naive(value):
        raise InvalidInput(field, f"{field} must include a time zone.")
    return value.astimezone(UTC)


def interval_next(anchor: datetime, seconds: int, not_before: datetime) -> datetime:
    """The first time on the grid ``anchor + k * seconds`` (k >= 0) that is >= ``not_before``."""
    if anchor >= not_before:
        return anchor
    steps = -(-(not_before - anchor) // timedelta(seconds=seconds))  # ceiling division
    return anchor + steps * timedelta(seconds=seconds)


def cron_next(expression: str, after: datetime) -> datetime:
    """The next match after ``after``, read in the project's time zone (as Django-Q2 does)."""
    local = timezone.localtime(after)
    return croniter(expression, local).get_next(datetime).astimezone(UTC)
