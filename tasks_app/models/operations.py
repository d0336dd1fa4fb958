"""Operator tables: the run-time mirror of task types and the schedules that submit them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tasks_app.enums import SCHEDULE_SCOPES, ScheduleKind, ScheduleOutcome, TaskScope


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


class Schedule(models.Model):
    """Submits a task type at a time, every N seconds, or on a cron expression.

    Fired by the executor's scheduler (Django-Q2); written through ``tasks_app.ops.schedules``.
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
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Who created or last changed it: each firing submits as this user. "
            "Empty with no owner name: the system."
        ),
    )
    # Kept when the owner's account is deleted, so a schedule of a gone owner never falls
    # back to firing as the system.
    owner_name = models.CharField(_("owner name"), max_length=255, blank=True, default="")
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
            models.CheckConstraint(
                condition=models.Q(scope__in=SCHEDULE_SCOPES),
                name="gtf_schedule_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_task_key(self) -> str:
        return self.task_key or f"schedule:{self.name}"

    @property
    def is_system(self) -> bool:
        """Created by code or a command, not by a user: fires as the system."""
        return self.owner_id is None and not self.owner_name


class ClusterNode(models.Model):
    """A running cluster (one ``qcluster`` process tree) that takes tasks from the queue.

    Its keeper writes ``heartbeat_at``; when that stops, the tasks the node had claimed but
    not started go back to the queue.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("pid"))
    started_at = models.DateTimeField(_("started at"))
    heartbeat_at = models.DateTimeField(_("heartbeat at"))

    class Meta:
        verbose_name = _("cluster node")
        verbose_name_plural = _("cluster nodes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
