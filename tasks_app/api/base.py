"""What every GTF endpoint shares, for this app's API and for other apps' (state_app):
the JSON parser, the error envelope and handler, the read-only switch, pagination."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, cast

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.versioning import BaseVersioning
from rest_framework.views import APIView

from tasks_app.api import errors
from tasks_app.api.read_only import ReadOnlySwitch
from tasks_app.conf import conf
from tasks_app.jsonvalues import MAX_DEPTH, parse
from tasks_app.paging import CappedPage, CappedPaginator, Listing, QuerySetListing

# Deepest JSON body any GTF endpoint parses: twice the deepest value a setting may allow
# (parameters and state values sit a level or two inside the body), and far enough from
# Python's recursion limit for the parser, the serializers and the renderers at any stack depth.
MAX_BODY_DEPTH = 2 * MAX_DEPTH


class GTFJSONParser(JSONParser):
    """JSON that lets NaN and Infinity through to the validators, which name the field and
    the rule broken, and refuses a body nested deeper than ``MAX_BODY_DEPTH`` before parsing
    it, the same on every Python version."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)  # refuses bytes-to-bytes codecs (bz2...)
        except LookupError:
            raise ParseError(f"Unsupported charset {encoding!r} in the Content-Type.") from None
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            return parse(text, max_depth=MAX_BODY_DEPTH)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class ErrorSerializer(serializers.Serializer):
    """Body of every error answer (see ``tasks_app.api.errors``)."""

    detail = serializers.CharField(help_text="What is wrong, in a sentence.")
    code = serializers.CharField(help_text="Machine-readable kind of error.")
    field = serializers.CharField(allow_null=True, help_text="The first input field at fault.")
    # DRF's metaclass takes declared fields off the class: Serializer.errors stays intact.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per input field (dotted for nested fields and parameters).",
    )
    current_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="State writes: the entry's version now."
    )


ErrorResponse = OpenApiResponse(
    ErrorSerializer,
    description="The problem, named in `detail`; `field` and `errors` name the input at fault.",
)


def with_errors(ok: dict[Any, Any], *codes: int) -> dict[Any, Any]:
    """Responses of an operation: its own plus the error answers it can give."""
    return {**ok, **{code: ErrorResponse for code in (401, 403, 503, *codes)}}


class GTFAPIMixin(ReadOnlySwitch):
    """View mixin of every GTF endpoint: JSON bodies, the one error handler, and the
    read-only switch (whose schema generator leaves out routes ``API_READ_ONLY`` turns off)."""

    parser_classes: Sequence[type[BaseParser]] = [GTFJSONParser]
    # GTF's API is versioned by its mount; a host's DRF versioning (URL path, namespace...)
    # would 404 these views. A ``<version>`` the mount captures is accepted and ignored.
    versioning_class: type[BaseVersioning] | None = None

    def get_exception_handler(self) -> Callable[..., Any]:
        return errors.exception_handler

    def get_authenticate_header(self, request: Request) -> str:
        """The first challenge any configured authentication offers (``Token`` behind
        ``SessionAuthentication``): a missing or bad token answers 401 with
        ``WWW-Authenticate``, where DRF asks only the first class and would answer 403.
        CSRF failures of a session stay 403 (they are not authentication failures)."""
        for authenticator in cast(APIView, self).get_authenticators():
            header = authenticator.authenticate_header(request)
            if header:
                return header
        return ""  # no challenge to offer: DRF answers 403


class GTFPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF describes next/previous with 3.0's "nullable", which OpenAPI 3.1 ignores.
        page = super().get_paginated_response_schema(schema)
        if spectacular_settings.OAS_VERSION.startswith("3.1"):
            for link in ("next", "previous"):
                page["properties"][link] = {"type": ["string", "null"], "format": "uri"}
        return page


class SettingCappedPaginator(CappedPaginator):
    """A :class:`CappedPaginator` capped at ``GTF["LIST_COUNT_CAP"]`` (read per list)."""

    def __init__(self, listing: Listing, per_page: int) -> None:
        super().__init__(listing, per_page, cap=conf.LIST_COUNT_CAP)


class CappedPagination(GTFPagination):
    """Pages of lists that may be long: ``count`` is exact up to ``GTF["LIST_COUNT_CAP"]``
    rows and the database's estimate beyond it, as ``count_is_exact`` says."""

    # DRF's hook, called as self.django_paginator_class(listing, page_size).
    django_paginator_class = SettingCappedPaginator

    # GTF's lists are querysets or Listings, never other sequences (the stubs' type).
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any] | Listing, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        listing = queryset if isinstance(queryset, Listing) else QuerySetListing(queryset)
        # The stubs want a queryset or sequence; DRF only hands it to django_paginator_class.
        return super().paginate_queryset(listing, request, view)  # type: ignore[arg-type]

    def get_page_number(self, request: Request, paginator: Paginator) -> int | str:
        asked = request.query_params.get(self.page_query_param)
        paginator = cast(CappedPaginator, paginator)  # made by django_paginator_class
        if asked in self.last_page_strings and not paginator.count_is_exact:
            # Where the list ends is not known without counting it all.
            raise NotFound(
                f"The last page is not known: more than {paginator.cap} items match. "
                "Narrow the filters, or follow the next links."
            )
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data: Any) -> Response:
        paginator = cast(CappedPage, self.page).paginator  # set by paginate_queryset
        return Response(
            {
                "count": paginator.count,
                "count_is_exact": paginator.count_is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page = super().get_paginated_response_schema(schema)
        properties = page["properties"]
        properties["count"] = {
            "type": "integer",
            "example": 123,
            "description": "How many items match: exact when `count_is_exact`, otherwise "
            "the database's estimate, larger than `LIST_COUNT_CAP`.",
        }
        page["properties"] = {
            "count": properties.pop("count"),
            "count_is_exact": {
                "type": "boolean",
                "description": "False when more items match than the server counts exactly "
                "(`LIST_COUNT_CAP`, 10,000 by default).",
            },
            **properties,
        }
        page["required"] = ["count", "count_is_exact", "next", "previous", "results"]
        return page
