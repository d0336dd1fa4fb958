"""Task and task-type endpoints. Thin: they read through selectors and write through services."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, cast

from django.utils.http import parse_etags, quote_etag
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tasks_app import selectors, services
from tasks_app.api.base import CappedPagination, GTFAPIMixin, with_errors
from tasks_app.api.filters import TaskFilter
from tasks_app.api.permissions import IsActiveUser, MayViewTask
from tasks_app.api.serializers import (
    AbortRequestSerializer,
    AbortResultSerializer,
    AttemptSerializer,
    NoFieldsSerializer,
    SubscriberSerializer,
    TaskSerializer,
    TaskStatusSerializer,
)
from tasks_app.api.submit import SubmittedTaskSerializer, TaskSubmitSerializer
from tasks_app.api.type_serializers import TaskTypePatchSerializer, TaskTypeSerializer
from tasks_app.enums import TaskScope
from tasks_app.exceptions import GTFError, TaskNotFound
from tasks_app.models import Task, TaskQuerySet, TaskSubscriber, TaskType
from tasks_app.ops import task_types as types


def status_etag(row: Mapping[str, Any]) -> str:
    parts = (
        row["uuid"],
        row["status"],
        row["updated_at"],
        row["progress_current"],
        row["progress_total"],
        row["progress_percent"],
    )
    return quote_etag(hashlib.sha256(repr(parts).encode()).hexdigest()[:32])


UUID_PARAM = OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema(tags=["tasks"])
@extend_schema_view(
    list=extend_schema(
        summary="Tasks the caller may see", responses=with_errors({200: TaskSerializer}, 400, 404)
    ),
    retrieve=extend_schema(
        parameters=[UUID_PARAM], responses=with_errors({200: TaskSerializer}, 404)
    ),
)
class TaskViewSet(GTFAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tasks: list and submit; one task, its status, abort and subscribers."""

    api_resource = "tasks"
    queryset = Task.objects.none()  # the real one is per user: get_queryset
    serializer_class = TaskSerializer
    permission_classes = [MayViewTask]
    pagination_class = CappedPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilter
    lookup_field = "uuid"
    lookup_value_regex = "[^/]+"  # validated by the selector so a bad uuid is a JSON 404

    def get_queryset(self):
        return selectors.task_list_annotated(user=self.request.user)

    def list(self, request, **kwargs):
        # Filters and ordering first, on all tasks; the listing then reads what the user sees.
        # Filtering keeps the queryset's class.
        tasks = cast(TaskQuerySet, self.filter_queryset(Task.objects.all()))
        listing = selectors.TaskListing(user=request.user, tasks=tasks)
        # CappedPagination takes a Listing; the stubs know querysets and sequences only.
        page = self.paginate_queryset(listing)  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self) -> Task:
        task_uuid = selectors.parse_uuid(self.kwargs["uuid"])
        task = self.get_queryset().filter(uuid=task_uuid).first()
        if task is None:
            raise TaskNotFound()
        self.check_object_permissions(self.request, task)
        return task

    def retrieve(self, request, uuid=None, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Submit a task, or join the active task with the same key",
        request=TaskSubmitSerializer,
        responses=with_errors(
            {
                201: OpenApiResponse(SubmittedTaskSerializer, description="Created."),
                200: OpenApiResponse(
                    SubmittedTaskSerializer,
                    description="Joined the active task with the same key; see parameters_differ.",
                ),
            },
            400,
            409,
        ),
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[201],
                description="URL of the new task.",
            )
        ],
    )
    def create(self, request, **kwargs):
        submit = TaskSubmitSerializer(data=request.data)
        submit.is_valid(raise_exception=True)
        try:
            result = services.task_submit(user=request.user, **submit.submit_arguments())
        except GTFError as exc:
            if exc.field is not None:
                exc.field = submit.sent_as.get(exc.field, exc.field)  # the name the client used
            raise
        return self._submitted(result)

    def _submitted(self, result: services.SubmitResult) -> Response:
        """201 with the new task and its Location, or 200 with the active task joined."""
        task = cast("selectors.ListedTask", result.task)  # given the list columns here
        if result.created:
            # Nothing to read back: its only subscriber, if any, is the caller.
            subscribed = (
                task.scope == TaskScope.SHARED and task.created_by_id == self.request.user.pk
            )
            task.subscriber_count, task.is_subscribed = int(subscribed), subscribed
            user = self.request.user
            task.created_by = user if task.created_by_id and user.is_authenticated else None
        else:
            task = self.get_queryset().filter(pk=task.pk).first() or task
        context = {**self.get_serializer_context(), "parameters_differ": result.parameters_differ}
        data = SubmittedTaskSerializer(task, context=context).data
        if not result.created:
            return Response(data, status=status.HTTP_200_OK)
        return Response(
            data, status=status.HTTP_201_CREATED, headers={"Location": data["links"]["self"]}
        )

    @extend_schema(
        summary="Status and progress, cheap for polling",
        parameters=[
            UUID_PARAM,
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="ETag of an earlier answer: 304 while nothing changed.",
            ),
        ],
        responses=with_errors(
            {
                200: TaskStatusSerializer,
                304: OpenApiResponse(description="Not modified since the given ETag."),
            },
            404,
        ),
    )
    @action(detail=True, methods=["get"], url_path="status", url_name="status")
    def status_(self, request, uuid=None, **kwargs):
        row = (
            Task.objects.visible_to(request.user)
            .filter(uuid=selectors.parse_uuid(uuid))
            .values(
                "uuid",
                "status",
                "updated_at",
                "progress_current",
                "progress_total",
                "progress_percent",
            )
            .first()
        )
        if row is None:
            raise TaskNotFound()
        etag = status_etag(row)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        sent = parse_etags(request.headers.get("If-None-Match", ""))
        if etag in sent or "*" in sent:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(TaskStatusSerializer(row).data, headers=headers)

    @extend_schema(
        summary="Abort the task, or leave it if others still follow it",
        parameters=[UUID_PARAM],
        request=AbortRequestSerializer,
        responses=with_errors({200: AbortResultSerializer}, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def abort(self, request, uuid=None, **kwargs):
        options = AbortRequestSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        result = services.task_abort(
            task_uuid=uuid,
            user=request.user,
            force=options.validated_data["force"],
            reason=options.validated_data.get("reason", ""),
        )
        # After "unsubscribed" the caller may no longer see the task: serialise it as is.
        context = self.get_serializer_context()
        return Response(
            {
                "action": result.action,
                "task": TaskSerializer(result.task, context=context).data,
            }
        )

    @extend_schema(
        summary="Subscribers of the task",
        parameters=[UUID_PARAM],
        responses=with_errors({200: SubscriberSerializer(many=True)}, 404),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def subscribers(self, request, uuid=None, **kwargs):
        task = self.get_object()
        rows = TaskSubscriber.objects.filter(task=task).select_related("user")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SubscriberSerializer(page, many=True).data)

    @extend_schema(
        summary="Attempts of the task, oldest first (tracebacks and workers: staff only)",
        parameters=[UUID_PARAM],
        responses=with_errors({200: AttemptSerializer(many=True)}, 404),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def attempts(self, request, uuid=None, **kwargs):
        rows = selectors.task_attempts(task=self.get_object())
        page = self.paginate_queryset(rows)
        context = self.get_serializer_context()
        return self.get_paginated_response(AttemptSerializer(page, many=True, context=context).data)

    @extend_schema(
        summary="Run a finished task again: a new task with its type, key and parameters",
        description="A user may rerun their own private tasks; staff with "
        "`tasks_app.rerun_task` any task they see. The "
        "new task links back (`rerun_of`). If an active task holds the key by now, the caller "
        "gets that one (200) instead of a new one (201).",
        parameters=[UUID_PARAM],
        request=NoFieldsSerializer,
        responses=with_errors(
            {
                201: OpenApiResponse(SubmittedTaskSerializer, description="The new task."),
                200: OpenApiResponse(
                    SubmittedTaskSerializer, description="The active task with its key."
                ),
            },
            400,
            404,
            409,
        ),
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request, uuid=None, **kwargs):
        NoFieldsSerializer(data=request.data).is_valid(raise_exception=True)
        return self._submitted(services.task_rerun(task_uuid=uuid, user=request.user))


NAME_PARAM = OpenApiParameter("name", str, OpenApiParameter.PATH, description="Task type name.")


@extend_schema(tags=["task-types"])
@extend_schema_view(
    list=extend_schema(
        summary="Task types: registered ones and orphans",
        responses=with_errors({200: TaskTypeSerializer(many=True)}),
    ),
    retrieve=extend_schema(
        parameters=[NAME_PARAM], responses=with_errors({200: TaskTypeSerializer}, 404)
    ),
    partial_update=extend_schema(
        summary="Enable or disable a task type (staff with tasks_app.change_tasktype)",
        parameters=[NAME_PARAM],
        request=TaskTypePatchSerializer,
        responses=with_errors({200: TaskTypeSerializer}, 400, 404),
    ),
)
class TaskTypeViewSet(GTFAPIMixin, viewsets.GenericViewSet):
    """Task types with their parameter schema, enabled flag and orphan status."""

    api_resource = "task_types"
    # Types come from the registry; the browsable API's filter form asks for a queryset.
    queryset = TaskType.objects.none()
    serializer_class = TaskTypeSerializer
    permission_classes = [IsActiveUser]
    pagination_class = None
    lookup_field = "name"
    lookup_value_regex = "[^/]+"  # type names contain dots

    def list(self, request, **kwargs):
        return Response(self.get_serializer(types.task_type_list(), many=True).data)

    def retrieve(self, request, name=None, **kwargs):
        return Response(self.get_serializer(types.task_type_get(name=name)).data)

    def partial_update(self, request, name=None, **kwargs):
        change = TaskTypePatchSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        types.task_type_set_enabled(
            name=name,
            enabled=change.validated_data["enabled"],
            user=request.user,
            reason=change.validated_data.get("reason", ""),
        )
        return Response(self.get_serializer(types.task_type_get(name=name)).data)
