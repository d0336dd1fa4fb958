"""Changelist filters and searches the database can take."""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest

from tasks_app.jsonvalues import text_rule


class StorableLookupsMixin:
    """Treats a filter or search value with NUL as Django treats an unknown lookup (back to
    the unfiltered list): PostgreSQL refuses NUL in a query, a DataError and a 500."""

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        for _name, values in request.GET.lists():
            if any(text_rule(value) is not None for value in values):
                raise IncorrectLookupParameters("A filter value contains NUL.")
        return super().get_changelist_instance(request)  # type: ignore[misc]
