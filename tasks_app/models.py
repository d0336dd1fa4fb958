"""Task and subscriber tables. Writes go through ``services`` and ``lifecycle`` only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tasks_app.querysets import TaskQuerySet


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


class Task(models.Model):
    uuid = models.UUIDField(_("uuid"), default=uuid.uuid4, unique=True, editable=False)
    task_type = models.CharField(_("task type"), max_length=200)
    task_key = models.CharField(_("task key"), max_length=256)
    task_name = models.CharField(_("task name"), max_length=256, blank=True, default="")
    scope = models.CharField(_("scope"), max_length=16, choices=TaskScope.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING
    )
    # Hash of scope|type|key[|user]; unique while active, cleared on the terminal transition.
    dedup_key = models.CharField(
        _("dedup key"), max_length=64, null=True, unique=True, editable=False
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gtf_tasks",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    timeout = models.PositiveIntegerField(_("timeout (seconds)"), null=True, blank=True)
    progress_current = models.FloatField(_("progress current"), null=True, blank=True)
    progress_total = models.FloatField(_("progress total"), null=True, blank=True)
    progress_percent = models.FloatField(_("progress percent"), null=True, blank=True)
    is_abortable = models.BooleanField(_("abortable"), default=False)
    error_message = models.TextField(_("error message"), blank=True, default="")
    error_type = models.CharField(_("error type"), max_length=255, blank=True, default="")
    error_traceback = models.TextField(_("error traceback"), blank=True, default="")
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    worker_id = models.CharField(_("worker id"), max_length=255, blank=True, default="")
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="gtf_task_status_created"),
            models.Index(fields=["task_type", "-created_at"], name="gtf_task_type_created"),
            models.Index(fields=["scope", "-created_at"], name="gtf_task_scope_created"),
            models.Index(fields=["created_by", "-created_at"], name="gtf_task_creator_created"),
            models.Index(fields=["task_key"], name="gtf_task_key"),
            models.Index(fields=["-created_at"], name="gtf_task_created"),
            models.Index(fields=["updated_at"], name="gtf_task_updated"),
            models.Index(fields=["status", "heartbeat_at"], name="gtf_task_status_heartbeat"),
            # A user's private tasks of a status, read from the index alone (API list).
            models.Index(
                fields=["created_by", "scope", "status", "-created_at", "id"],
                name="gtf_task_owner_scope_status",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=TaskScope.values), name="gtf_task_scope_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TaskStatus.values), name="gtf_task_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_type}:{self.task_key} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        from django.utils import timezone

        end = self.ended_at or timezone.now()
        return max((end - self.started_at).total_seconds(), 0.0)


class TaskSubscriber(models.Model):
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="subscribers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="gtf_subscriptions",
    )
    subscribed_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task subscriber")
        verbose_name_plural = _("task subscribers")
        ordering = ["subscribed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="gtf_subscriber_unique")
        ]
        indexes = [models.Index(fields=["user", "task"], name="gtf_subscriber_user_task")]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.task_id}"


class TaskType(models.Model):
    """Run-time mirror of a registered task type: the operator's switch, and orphan tracking.

    A row outlives its code: a name here that no code registers any more is an orphan.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("Disabled types cannot be submitted or started.")
    )
    description = models.TextField(_("description"), blank=True, default="")
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(
        _("last seen at"),
        null=True,
        blank=True,
        help_text=_("When a sync last found the type registered."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("task type")
        verbose_name_plural = _("task types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_registered(self) -> bool:
        """Whether this process's registry has the type (a row without it is an orphan)."""
        from tasks_app.registry import registry

        return self.name in registry


class ScheduleKind(models.TextChoices):
    ONCE = "once", _("Once")
    INTERVAL = "interval", _("Interval")
    CRON = "cron", _("Cron")


class ScheduleOutcome(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted a new task")
    JOINED = "joined", _("Joined the running task")
    SKIPPED_DISABLED = "skipped_disabled", _("Skipped: disabled")
    SKIPPED_ORPHAN = "skipped_orphan", _("Skipped: type not registered")
    FAILED = "failed", _("Failed to submit")


class Schedule(models.Model):
    """Submits a task type at a time, every N seconds, or on a cron expression.

    Fired by the executor's scheduler (Django-Q2); written through ``tasks_app.schedules``.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    task_type = models.CharField(_("task type"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ScheduleKind.choices)
    run_at = models.DateTimeField(
        _("run at"), null=True, blank=True, help_text=_("Once: when. Interval: first run.")
    )
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"), null=True, blank=True)
    cron = models.CharField(_("cron expression"), max_length=100, blank=True, default="")
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    task_key = models.CharField(
        _("task key"),
        max_length=256,
        blank=True,
        default="",
        help_text=_("Key of the submitted tasks; empty: 'schedule:<name>'."),
    )
    scope = models.CharField(_("scope"), max_length=16, choices=TaskScope.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_outcome = models.CharField(
        _("last outcome"), max_length=32, choices=ScheduleOutcome.choices, blank=True, default=""
    )
    last_message = models.TextField(_("last message"), blank=True, default="")
    last_task_uuid = models.UUIDField(_("last task"), null=True, blank=True)
    submitted_count = models.PositiveIntegerField(_("submitted"), default=0)
    joined_count = models.PositiveIntegerField(_("joined"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["name"]
        indexes = [models.Index(fields=["task_type"], name="gtf_schedule_type")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ScheduleKind.values), name="gtf_schedule_kind_valid"
            ),
            # Schedules submit without a user, so a private scope could never be submitted.
            models.CheckConstraint(
                condition=models.Q(scope__in=[TaskScope.SHARED, TaskScope.SYSTEM]),
                name="gtf_schedule_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_task_key(self) -> str:
        return self.task_key or f"schedule:{self.name}"
