"""The fixed vocabularies of GTF: task statuses and scopes, schedule kinds and outcomes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    ABORTING = "ABORTING", _("Aborting")
    SUCCESS = "SUCCESS", _("Success")
    FAILURE = "FAILURE", _("Failure")
    ABORTED = "ABORTED", _("Aborted")
    TIMED_OUT = "TIMED_OUT", _("Timed out")


ACTIVE_STATUSES = frozenset({TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.ABORTING})
TERMINAL_STATUSES = frozenset(
    {TaskStatus.SUCCESS, TaskStatus.FAILURE, TaskStatus.ABORTED, TaskStatus.TIMED_OUT}
)


class TaskScope(models.TextChoices):
    PRIVATE = "private", _("Private")
    SHARED = "shared", _("Shared")
    SYSTEM = "system", _("System")


# A schedule submits without a user, so a private task could never be submitted by one.
SCHEDULE_SCOPES = (TaskScope.SHARED, TaskScope.SYSTEM)


class ScheduleKind(models.TextChoices):
    ONCE = "once", _("Once")
    INTERVAL = "interval", _("Interval")
    CRON = "cron", _("Cron")


class ScheduleOutcome(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted a new task")
    JOINED = "joined", _("Joined the running task")
    SKIPPED_DISABLED = "skipped_disabled", _("Skipped: disabled")
    SKIPPED_ORPHAN = "skipped_orphan", _("Skipped: type not registered")
    SKIPPED_FORBIDDEN = "skipped_forbidden", _("Skipped: the owner may not submit the type")
    FAILED = "failed", _("Failed to submit")


class OperatorActionKind(models.TextChoices):
    ABORT = "abort", _("Abort")
    FORCE_ABORT = "force_abort", _("Force abort")
    RERUN = "rerun", _("Rerun")
    TYPE_ENABLE = "type_enable", _("Enable task type")
    TYPE_DISABLE = "type_disable", _("Disable task type")
    SCHEDULE_CREATE = "schedule_create", _("Create schedule")
    SCHEDULE_CHANGE = "schedule_change", _("Change schedule")
    SCHEDULE_DELETE = "schedule_delete", _("Delete schedule")
    PRUNE = "prune", _("Prune finished tasks")
    TASKS_DELETE = "tasks_delete", _("Delete finished tasks")
    ASSET_STATE_SET = "asset_state_set", _("Write asset state")
    ASSET_STATE_DELETE = "asset_state_delete", _("Delete asset state")
