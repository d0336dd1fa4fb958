"""Pages of lists that may be long: counted exactly up to a cap, estimated beyond it.

An exact ``COUNT(*)`` reads every matching row; on a table of a million tasks that alone
costs more than the page. :class:`CappedPaginator` counts at most ``cap + 1`` rows and, past
the cap, reports the database's estimate with ``count_is_exact`` false. Whether a next page
exists never depends on the count: each page reads one row more than it shows.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

# Pages that would start beyond this row are empty: no database takes such an OFFSET.
MAX_OFFSET = 2**62


class Listing(ABC):
    """What :class:`CappedPaginator` reads: rows by position and bounded counts."""

    @abstractmethod
    def rows(self, start: int, stop: int) -> list[Any]:
        """Rows ``start`` to ``stop`` (exclusive), in the list's order."""

    @abstractmethod
    def count_upto(self, limit: int) -> int:
        """The number of rows, or ``limit`` if there are at least that many."""

    def estimate(self) -> int | None:
        """The database's estimate of the number of rows; None if it gives none."""
        return None

    def counted_rows(self, start: int, stop: int, limit: int) -> tuple[list[Any], int | None]:
        """:meth:`rows` and, if read with them, :meth:`count_upto` ``(limit)``; None if not
        (then the paginator counts when it needs to)."""
        return self.rows(start, stop), None


class QuerySetListing(Listing):
    """A queryset as a :class:`Listing`."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset

    def rows(self, start: int, stop: int) -> list[Any]:
        return list(self.queryset[start:stop])

    def count_upto(self, limit: int) -> int:
        return count_upto(self.queryset, limit)

    def estimate(self) -> int | None:
        return planner_estimate(self.queryset)


def count_upto(queryset: QuerySet, limit: int) -> int:
    """``SELECT COUNT(*) FROM (SELECT id ... LIMIT limit)``: the database stops at ``limit``."""
    return queryset.order_by().values("pk")[:limit].count()


def planner_estimate(queryset: QuerySet) -> int | None:
    """The row estimate of PostgreSQL's planner for ``queryset`` (no row is read); None on
    other databases."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # a filter that matches nothing, known without asking
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class CappedPage(Page):
    paginator: CappedPaginator

    def __init__(self, rows: Sequence[Any], number: int, paginator: CappedPaginator, more: bool):
        super().__init__(rows, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CappedPaginator(Paginator):
    """A paginator over a :class:`Listing` whose count is exact up to ``cap`` rows.

    ``count`` is exact when ``count_is_exact``; otherwise it is the planner's estimate (on
    PostgreSQL), never less than the rows known to exist. A page is one query; the count
    costs one more when the page does not show the end of the list, and a third (the
    estimate) when more than ``cap`` rows match.
    """

    def __init__(self, listing: Listing, per_page: int, *, cap: int) -> None:
        # Paginator's object_list is never read: page() and the counts read the listing.
        super().__init__(listing, per_page)  # type: ignore[arg-type]
        self.listing = listing
        self.cap = cap
        self._exact: int | None = None  # known from a page that showed the end
        self._found: int | None = None  # count_upto(cap + 1), if read with a page
        self._at_least = 0

    def validate_number(self, number: Any) -> int:
        # Unlike Paginator's, no count first: a page past the end shows itself empty.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number: Any) -> CappedPage:
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        if start > MAX_OFFSET:
            raise EmptyPage(_("That page contains no results"))
        rows, found = self.listing.counted_rows(start, start + self.per_page + 1, self.cap + 1)
        if found is not None:
            self._found = found
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and number > 1:
            raise EmptyPage(_("That page contains no results"))
        if more:
            self._at_least = max(self._at_least, start + len(rows) + 1)
        else:
            self._exact = start + len(rows)
        return CappedPage(rows, number, self, more)

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        if self._exact is not None:
            return self._exact, True
        found = self._found if self._found is not None else self.listing.count_upto(self.cap + 1)
        if found <= self.cap and found >= self._at_least:
            return found, True
        # More than the cap (or rows came in between the two queries): a lower bound.
        return max(self.listing.estimate() or 0, found, self._at_least), False

    @property
    def count(self) -> int:
        return self._counted[0]

    @property
    def count_is_exact(self) -> bool:
        return self._counted[1]
