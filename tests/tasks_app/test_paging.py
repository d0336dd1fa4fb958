"""Pages counted exactly up to a cap, estimated beyond it, with next pages known exactly."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.models import Task
from tasks_app.paging import MAX_OFFSET, CappedPaginator, QuerySetListing, planner_estimate
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks():
    """23 task rows, read in id order."""
    TaskFactory.create_batch(23)
    return QuerySetListing(Task.objects.order_by("id"))


def read(paginator, number):
    """The page and how many queries reading it and its count took."""
    with CaptureQueriesContext(connection) as captured:
        page = paginator.page(number)
        counted = (paginator.count, paginator.count_is_exact)
    return page, counted, len(captured.captured_queries)


def test_below_the_cap_the_count_is_exact(tasks):
    page, counted, queries = read(CappedPaginator(tasks, 5, cap=100), 1)
    assert counted == (23, True)
    assert queries == 2  # the page, then a count that stops at cap + 1 rows
    assert page.has_next() and not page.has_previous()


def test_a_page_that_shows_the_end_knows_the_count_without_counting(tasks):
    page, counted, queries = read(CappedPaginator(tasks, 5, cap=100), 5)
    assert [t.pk for t in page] == list(Task.objects.order_by("id").values_list("pk", flat=True))[
        20:
    ]
    assert counted == (23, True) and queries == 1
    assert not page.has_next() and page.has_previous()


def test_an_empty_list_is_one_page_and_one_query(db):
    page, counted, queries = read(CappedPaginator(QuerySetListing(Task.objects.all()), 5, cap=3), 1)
    assert list(page) == [] and counted == (0, True) and queries == 1


def test_beyond_the_cap_the_count_is_flagged_inexact(tasks):
    page, (count, exact), _ = read(CappedPaginator(tasks, 5, cap=10), 1)
    assert not exact
    assert count >= 11  # the estimate, but never less than what is known to exist
    assert page.has_next()


def test_next_pages_do_not_depend_on_the_count(tasks):
    # Counted up to 4 rows only: the pages still end exactly where the rows end.
    paginator = CappedPaginator(tasks, 5, cap=3)
    pages = [paginator.page(n) for n in range(1, 6)]
    assert [p.has_next() for p in pages] == [True, True, True, True, False]
    assert sum(len(p) for p in pages) == 23
    with pytest.raises(EmptyPage):
        paginator.page(6)


@pytest.mark.parametrize("number", ["x", "1.5", None, 1.5])
def test_a_page_number_must_be_a_whole_number(tasks, number):
    with pytest.raises(PageNotAnInteger):
        CappedPaginator(tasks, 5, cap=10).page(number)


@pytest.mark.parametrize("number", [0, -1, 2 + MAX_OFFSET // 5])
def test_pages_before_the_first_or_beyond_any_offset_are_empty(tasks, number):
    with CaptureQueriesContext(connection) as captured, pytest.raises(EmptyPage):
        CappedPaginator(tasks, 5, cap=10).page(number)
    assert captured.captured_queries == []


@pytest.mark.postgres
def test_on_postgresql_beyond_the_cap_the_count_is_the_planner_estimate(tasks):
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Task._meta.db_table}")
    assert planner_estimate(Task.objects.all()) == 23  # of a whole table: its statistics
    paginator = CappedPaginator(tasks, 5, cap=10)
    paginator.page(1)
    assert (paginator.count, paginator.count_is_exact) == (23, False)


def test_other_databases_give_no_estimate(db):
    if connection.vendor == "postgresql":
        assert isinstance(planner_estimate(Task.objects.all()), int)
        assert planner_estimate(Task.objects.filter(pk__in=[])) == 0
    else:
        assert planner_estimate(Task.objects.all()) is None
