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


class TaskQuerySet(models.QuerySet["Task"]):
    """Reusable task queries: activity and visibility."""

    def active(self) -> TaskQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def finished(self) -> TaskQuerySet:
        return self.filter(status__in=TERMINAL_STATUSES)

    def visible_to(self, user: Any) -> TaskQuerySet:
        """Tasks ``user`` may see: staff all; others their private tasks and the shared tasks
        they subscribe to; anonymous and inactive users nothing.

        Tested task by task: right for finding one task (by uuid). A page of many tasks
        reads them with ``tasks_app.selectors.TaskListing``, which starts from the user's
        own rows instead."""
        if not is_active_user(user):
            return self.none()
        if user.is_staff:
            return self
        followed = TaskSubscriber.objects.filter(task_id=models.OuterRef("pk"), user_id=user.pk)
        return self.filter(
            models.Q(scope=TaskScope.PRIVATE, created_by_id=user.pk)
            | models.Q(models.Exists(followed), scope=TaskScope.SHARED)
        )

    def owned_by(self, user: Any) -> TaskQuerySet:
        """``user``'s private tasks (index ``gtf_task_owner_scope_status``)."""
        return self.filter(scope=TaskScope.PRIVATE, created_by_id=user.pk)


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
    dedup_key = models.CharField(_("dedup key"), max_length=64, null=True, editable=False)
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
        db_index=False,  # gtf_task_owner_scope_status starts with it
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
    # Copied from the registered type at submit, never from the caller: see TaskDefinition.
    task_module = models.CharField(
        _("task module"),
        max_length=255,
        blank=True,
        default="",
        editable=False,
        help_text=_("Module a worker imports to find the type (Django's tasks API only)."),
    )
    rerun_of = models.ForeignKey(
        "self",
        verbose_name=_("rerun of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reruns",
        db_index=False,  # gtf_task_rerun_of: only the rows that are reruns
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at", "-id"]
        # Operator rights over other people's tasks, granted like the model permissions.
        permissions = [
            ("force_abort_task", _("Can abort any task, for all its subscribers")),
            ("rerun_task", _("Can rerun any finished task")),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="gtf_task_status_created"),
            models.Index(fields=["task_type", "-created_at"], name="gtf_task_type_created"),
            models.Index(fields=["scope", "-created_at"], name="gtf_task_scope_created"),
            models.Index(fields=["task_key"], name="gtf_task_key"),
            models.Index(fields=["-created_at"], name="gtf_task_created"),
            models.Index(fields=["updated_at"], name="gtf_task_updated"),
            models.Index(
                fields=["rerun_of"],
                condition=models.Q(rerun_of__isnull=False),
                name="gtf_task_rerun_of",
            ),
            # The reaper's question, about running tasks only: finished ones never enter it.
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(status__in=[TaskStatus.IN_PROGRESS, TaskStatus.ABORTING]),
                name="gtf_task_running_heartbeat",
            ),
            # The queue: due pending tasks nobody claimed, oldest first (claims, the keeper).
            models.Index(
                fields=["run_after", "id"],
                condition=models.Q(status=TaskStatus.PENDING, claimed_by=""),
                name="gtf_task_queue",
            ),
            # A user's private tasks newest first, of a status or all, from the index alone
            # (list pages); it also serves the creator foreign key, which has no index of its own.
            models.Index(
                fields=["created_by", "scope", "status", "-created_at", "-id"],
                name="gtf_task_owner_scope_status",
            ),
        ]
        constraints = [
            # A constraint, not unique=True: that would add a LIKE index nobody queries.
            models.UniqueConstraint(fields=["dedup_key"], name="gtf_task_dedup_key_unique"),
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


class TaskSubscriberQuerySet(models.QuerySet["TaskSubscriber"]):
    def shared_with(self, user: Any) -> TaskSubscriberQuerySet:
        """``user``'s subscriptions to shared tasks (index ``gtf_subscriber_user_newest``)."""
        return self.filter(user_id=user.pk, task_scope=TaskScope.SHARED)


class TaskSubscriber(models.Model):
    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        related_name="subscribers",
        db_index=False,  # gtf_subscriber_unique starts with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="gtf_subscriptions",
        db_index=False,  # gtf_subscriber_user_newest starts with it
    )
    subscribed_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)
    # Copies of the task's scope and creation time, which never change: a user's list pages
    # walk their subscriptions newest first by index, reading task rows only to fill a page.
    task_scope = models.CharField(
        _("task scope"), max_length=16, choices=TaskScope.choices, editable=False
    )
    task_created_at = models.DateTimeField(_("task created at"), editable=False)

    objects = TaskSubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("task subscriber")
        verbose_name_plural = _("task subscribers")
        ordering = ["subscribed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="gtf_subscriber_unique")
        ]
        indexes = [
            models.Index(
                fields=["user", "task_scope", "-task_created_at", "-task"],
                name="gtf_subscriber_user_newest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.task_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The copies come from the task, whoever makes the row (services, admin, fixtures).
        if not self.task_scope or self.task_created_at is None:
            self.task_scope, self.task_created_at = self.task.scope, self.task.created_at
        super().save(*args, **kwargs)

    @classmethod
    def of(cls, task: Task, user_id: Any) -> TaskSubscriber:
        """A new subscription of ``user_id`` to ``task``, with the task's copies filled in
        (for ``bulk_create``, which does not call ``save``)."""
        return cls(
            task_id=task.pk,
            user_id=user_id,
            task_scope=task.scope,
            task_created_at=task.created_at,
        )


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
