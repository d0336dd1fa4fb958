"""Task and subscriber tables. A task row changes only through ``lifecycle``."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks_app.enums import ACTIVE_STATUSES, TERMINAL_STATUSES, TaskScope, TaskStatus
from tasks_app.rules import is_active_user


class TaskQuerySet(models.QuerySet):
    """Reusable task queries: activity and visibility."""

    def active(self) -> TaskQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def finished(self) -> TaskQuerySet:
        return self.filter(status__in=TERMINAL_STATUSES)

    def visible_to(self, user: Any) -> TaskQuerySet:
        """Tasks ``user`` may see: staff all; others their private tasks and the shared tasks
        they subscribe to; anonymous and inactive users nothing."""
        if not is_active_user(user):
            return self.none()
        if user.is_staff:
            return self
        own = (
            self.model.objects.filter(scope=TaskScope.PRIVATE, created_by_id=user.pk)
            .order_by()
            .values("id")
        )
        followed = (
            TaskSubscriber.objects.filter(user_id=user.pk, task__scope=TaskScope.SHARED)
            .order_by()
            .values("task_id")
        )
        # One id list (UNION ALL), not an OR: the database starts from the user's own rows
        # instead of testing every task of a status against a subquery.
        return self.filter(id__in=own.union(followed, all=True))


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
    run_after = models.DateTimeField(
        _("run after"), default=timezone.now, help_text=_("The task is not started before this.")
    )
    # The database queue: the cluster node that took the pending task from the table, and when.
    claimed_by = models.CharField(
        _("claimed by"), max_length=100, blank=True, default="", editable=False
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    # An external broker (Redis): when the task's message was last pushed by the keeper.
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True, editable=False)
    rerun_of = models.ForeignKey(
        "self",
        verbose_name=_("rerun of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reruns",
    )

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
            # The queue: due pending tasks nobody claimed, oldest first (claims, the keeper).
            models.Index(
                fields=["run_after", "id"],
                condition=models.Q(status=TaskStatus.PENDING, claimed_by=""),
                name="gtf_task_queue",
            ),
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


class TaskAttempt(models.Model):
    """An attempt of a task that ended in a retry; the current attempt lives on the task row."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(_("outcome"), max_length=16, choices=TaskStatus.choices)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"))
    worker_id = models.CharField(_("worker id"), max_length=255, blank=True, default="")
    error_message = models.TextField(_("error message"), blank=True, default="")
    error_type = models.CharField(_("error type"), max_length=255, blank=True, default="")
    error_traceback = models.TextField(_("error traceback"), blank=True, default="")

    class Meta:
        verbose_name = _("task attempt")
        verbose_name_plural = _("task attempts")
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="gtf_attempt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} #{self.number} ({self.status})"
