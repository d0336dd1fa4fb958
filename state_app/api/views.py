"""REST views of task and asset state (docs/state.md). They parse, call services, answer."""

from __future__ import annotations

import re
from typing import Any, Literal, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from state_app import selectors, services
from state_app.api import serializers as s
from state_app.exceptions import StateNotFound, VersionMismatch
from state_app.models import StateEntry
from state_app.stores import UNSET, Entry, StateStore
from tasks_app.api.base import ErrorSerializer, GTFAPIMixin
from tasks_app.exceptions import InvalidInput

IF_MATCH = re.compile(r'"(\d{1,18})"')

TASK_UUID = OpenApiParameter("task_uuid", OpenApiTypes.UUID, OpenApiParameter.PATH)
ASSET = OpenApiParameter(
    "asset", str, OpenApiParameter.PATH, description="letters, digits, _ . - : (1-255)"
)
KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description="1-200 printable, no '/'")
IF_MATCH_PARAM = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the version you read ("3"); * for "must exist". Stale: 412.',
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid key, value or ttl"),
    401: OpenApiResponse(ErrorSerializer, description="no or bad token"),
    403: OpenApiResponse(ErrorSerializer, description="not allowed"),
    404: OpenApiResponse(ErrorSerializer, description="no such task or entry"),
    503: OpenApiResponse(ErrorSerializer, description="database unavailable; retry later"),
}
PRECONDITION = {412: OpenApiResponse(ErrorSerializer, description="stale If-Match")}


class StatePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class StateAPIView(GTFAPIMixin, APIView):
    # GTF["API_READ_ONLY"] with "state" turns PUT, PATCH and DELETE off (405, not in the schema).
    api_resource = "state"
    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, VersionMismatch) and exc.current is not None:
            response["ETag"] = f'"{exc.current}"'  # the version to send back as If-Match
        return response

    def get_store(self, *, write: bool) -> StateStore:
        raise NotImplementedError


class StateListView(StateAPIView):
    entry_serializer: type[Serializer]

    def get(self, request: Request, **kwargs: Any) -> Response:
        rows = self.get_store(write=False).rows()
        paginator = StatePagination()
        # StatePagination has a page_size: a page, never None.
        page = cast(list[StateEntry], paginator.paginate_queryset(rows, request, view=self))
        data = self.entry_serializer([Entry.from_row(row) for row in page], many=True).data
        return paginator.get_paginated_response(data)

    def delete(self, request: Request, **kwargs: Any) -> Response:
        self.get_store(write=True).clear()
        return Response(status=status.HTTP_204_NO_CONTENT)


class StateEntryView(StateAPIView):
    entry_serializer: type[Serializer]
    write_serializer: type[Serializer]

    def get(self, request: Request, key: str, **kwargs: Any) -> Response:
        entry = self.get_store(write=False).get_entry(key)
        if entry is None:
            raise StateNotFound()
        return self._answer(entry, status.HTTP_200_OK)

    def put(self, request: Request, key: str, **kwargs: Any) -> Response:
        store = self.get_store(write=True)
        body = self.write_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        ttl = body.validated_data.get("ttl", UNSET)
        entry = store.set(
            key, body.validated_data["value"], ttl=ttl, expected_version=expected_version(request)
        )
        return self._answer(entry, status.HTTP_201_CREATED if entry.created else status.HTTP_200_OK)

    def patch(self, request: Request, key: str, **kwargs: Any) -> Response:
        store = self.get_store(write=True)
        body = s.StatePatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = store.patch(
            key, body.validated_data["value"], expected_version=expected_version(request)
        )
        return self._answer(entry, status.HTTP_200_OK)

    def delete(self, request: Request, key: str, **kwargs: Any) -> Response:
        if not self.get_store(write=True).delete(key, expected_version=expected_version(request)):
            raise StateNotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _answer(self, entry: Entry, code: int) -> Response:
        return Response(
            self.entry_serializer(entry).data, status=code, headers={"ETag": f'"{entry.version}"'}
        )


def expected_version(request: Request) -> int | Literal["*"] | None:
    """The version ``If-Match`` asks for: an int, ``"*"``, or None without the header."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    header = header.strip()
    if header == "*":
        return "*"
    match = IF_MATCH.fullmatch(header)
    if match is None:
        raise InvalidInput(
            "If-Match",
            'If-Match must be one ETag as sent by this API (a quoted version: "3"), or *.',
        )
    return int(match.group(1))


# -- schema of both stores ----------------------------------------------------------------
def _list_schema(page: type[Serializer], what: str, prefix: str) -> dict[str, Any]:
    return {
        "get": extend_schema(
            operation_id=f"{prefix}_state_list",
            summary=f"List {what}'s live state entries",
            responses={200: page, **ERRORS},
        ),
        "delete": extend_schema(
            operation_id=f"{prefix}_state_clear",
            summary=f"Clear {what}'s state",
            responses={204: None, **ERRORS},
        ),
    }


def _entry_schema(entry: type[Serializer], write: type[Serializer], prefix: str) -> dict[str, Any]:
    conditional: dict[str, Any] = {"parameters": [IF_MATCH_PARAM]}
    return {
        "get": extend_schema(
            operation_id=f"{prefix}_state_entry_retrieve",
            summary="Read an entry",
            responses={200: entry, **ERRORS},
        ),
        "put": extend_schema(
            operation_id=f"{prefix}_state_entry_update",
            summary="Create (201) or replace (200) an entry",
            request=write,
            responses={200: entry, 201: entry, **ERRORS, **PRECONDITION},
            **conditional,
        ),
        "patch": extend_schema(
            operation_id=f"{prefix}_state_entry_partial_update",
            summary="Replace the value of an existing entry, keeping its expiry",
            request=s.StatePatchSerializer,
            responses={200: entry, **ERRORS, **PRECONDITION},
            **conditional,
        ),
        "delete": extend_schema(
            operation_id=f"{prefix}_state_entry_destroy",
            summary="Delete an entry",
            responses={204: None, **ERRORS, **PRECONDITION},
            **conditional,
        ),
    }


# -- task state ----------------------------------------------------------------------------
class TaskStateMixin(StateAPIView):
    entry_serializer: type[Serializer] = s.TaskStateEntrySerializer
    write_serializer: type[Serializer] = s.StateTaskWriteSerializer

    def get_store(self, *, write: bool) -> StateStore:
        return services.task_state_store(
            user=self.request.user, task_uuid=self.kwargs["task_uuid"], write=write
        )


@extend_schema(tags=["task state"], parameters=[TASK_UUID])
@extend_schema_view(**_list_schema(s.TaskStatePageSerializer, "a task", "tasks"))
class TaskStateListView(TaskStateMixin, StateListView):
    pass


@extend_schema(tags=["task state"], parameters=[TASK_UUID, KEY])
@extend_schema_view(
    **_entry_schema(s.TaskStateEntrySerializer, s.StateTaskWriteSerializer, "tasks")
)
class TaskStateEntryView(TaskStateMixin, StateEntryView):
    pass


# -- asset state ---------------------------------------------------------------------------
class AssetStateMixin(StateAPIView):
    entry_serializer: type[Serializer] = s.AssetStateEntrySerializer
    write_serializer: type[Serializer] = s.StateAssetWriteSerializer

    def get_store(self, *, write: bool) -> StateStore:
        return services.asset_state_store(
            user=self.request.user, asset=self.kwargs["asset"], write=write
        )


@extend_schema(tags=["asset state"])
@extend_schema_view(
    get=extend_schema(
        operation_id="assets_list",
        summary="Assets that have state, with key counts and last update",
        responses={200: s.AssetSummaryPageSerializer, 403: ERRORS[403]},
    )
)
class AssetListView(StateAPIView):
    def get(self, request: Request, **kwargs: Any) -> Response:
        paginator = StatePagination()
        page = paginator.paginate_queryset(
            selectors.asset_summaries(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(s.AssetSummarySerializer(page, many=True).data)


@extend_schema(tags=["asset state"], parameters=[ASSET])
@extend_schema_view(**_list_schema(s.AssetStatePageSerializer, "an asset", "assets"))
class AssetStateListView(AssetStateMixin, StateListView):
    pass


@extend_schema(tags=["asset state"], parameters=[ASSET, KEY])
@extend_schema_view(
    **_entry_schema(s.AssetStateEntrySerializer, s.StateAssetWriteSerializer, "assets")
)
class AssetStateEntryView(AssetStateMixin, StateEntryView):
    pass
