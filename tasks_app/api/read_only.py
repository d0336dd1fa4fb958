"""Read-only deployments: ``GTF["API_READ_ONLY"]`` turns off the write routes of resources.

A view names its resource in ``api_resource``; while that resource is read-only, every
unsafe method (POST, PUT, PATCH, DELETE) answers 405 and leaves the OpenAPI schema.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import SAFE_METHODS
from rest_framework.schemas.inspectors import ViewInspector

from tasks_app.conf import conf


def is_write_disabled(resource: str, method: str) -> bool:
    return method.upper() not in SAFE_METHODS and resource in conf.API_READ_ONLY


class ReadOnlySchema(AutoSchema):
    """Leaves the operations a read-only setting turns off out of the schema."""

    def is_excluded(self) -> bool:
        resource = getattr(self.view, "api_resource", None)
        if resource and is_write_disabled(resource, self.method):
            return True
        return super().is_excluded()


class ReadOnlySwitch:
    """View mixin: write methods of ``api_resource`` answer 405 while it is read-only."""

    api_resource: str = ""
    schema: ViewInspector | None = ReadOnlySchema()

    @property
    def allowed_methods(self) -> list[str]:
        methods = super().allowed_methods  # type: ignore[misc]
        return [m for m in methods if not is_write_disabled(self.api_resource, m)]

    def initial(self, request, *args, **kwargs) -> None:
        # Before authentication and permissions: the route is off for everyone.
        if is_write_disabled(self.api_resource, request.method):
            raise MethodNotAllowed(
                request.method,
                detail=f"{self.api_resource} is read-only on this server: "
                f"{request.method} is turned off.",
            )
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
