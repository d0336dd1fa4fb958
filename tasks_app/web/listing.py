"""The task list page: the API's list query (selector + filters) rendered as a table."""

from __future__ import annotations

import re

import django_filters
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tasks_app import selectors
from tasks_app.api.filters import TaskFilter
from tasks_app.conf import conf
from tasks_app.models import Task, TaskScope, TaskStatus
from tasks_app.paging import CappedPaginator
from tasks_app.registry import registry
from tasks_app.web.pages import render_page

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
UUID_PREFIX = re.compile(r"[0-9a-fA-F-]{4,36}")


def uuid_prefix(value: str) -> str | None:
    """``value`` as the start of a canonical uuid (dashes where uuids have them), or None."""
    if not UUID_PREFIX.fullmatch(value):
        return None
    digits = value.replace("-", "").lower()
    if len(digits) > 32:
        return None
    out = ""
    for n, digit in enumerate(digits):
        if n in (8, 12, 16, 20):
            out += "-"
        out += digit
    return out


class TaskPageFilter(TaskFilter):
    """The API's filters, plus the page's tabs (mine, subscribed); search also matches the
    start of a uuid, with or without dashes."""

    view = django_filters.ChoiceFilter(
        choices=[("mine", gettext_lazy("Mine")), ("subscribed", gettext_lazy("Subscribed"))],
        method="filter_view",
        empty_label=gettext_lazy("All I may see"),
    )

    def filter_view(self, queryset, name, value):
        user = self.request.user
        if value == "mine":
            return queryset.filter(created_by_id=user.pk)
        if value == "subscribed":
            return queryset.filter(subscribers__user_id=user.pk)
        return queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = Q(task_key__icontains=value) | Q(task_name__icontains=value)
        match |= Q(task_type__icontains=value)
        prefix = uuid_prefix(value)
        if prefix is not None:
            match |= Q(uuid__startswith=prefix)
        return queryset.filter(match)


def _page_size(request) -> tuple[int, str | None]:
    raw = request.GET.get("page_size")
    if not raw:
        return PAGE_SIZE, None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        return PAGE_SIZE, _("page_size must be a whole number from 1 to %(max)d.") % {
            "max": MAX_PAGE_SIZE
        }
    return int(raw), None


@login_required
def task_list(request):
    # The API's list path: filters on all tasks, then the listing reads what the user sees.
    filters = TaskPageFilter(request.GET, queryset=Task.objects.all(), request=request)
    size, size_problem = _page_size(request)
    problems = [f"{name}: {' '.join(errs)}" for name, errs in filters.errors.items()]
    if size_problem:
        problems.append(size_problem)
    page, status = None, 200
    if problems:
        status = 400
    else:
        # Without the big columns no row shows.
        tasks = filters.qs.defer("parameters", "payload", "result", "error_traceback")
        listing = selectors.TaskListing(user=request.user, tasks=tasks)
        paginator = CappedPaginator(listing, size, cap=conf.LIST_COUNT_CAP)
        number = request.GET.get("page") or 1
        try:
            page = paginator.page(number)
        except PageNotAnInteger:
            problems.append(_("page must be a whole number, got %(page)r.") % {"page": number})
            status = 400
        except EmptyPage:
            problems.append(
                _("There is no page %(page)s: the list has %(pages)d.")
                % {"page": number, "pages": paginator.num_pages}
            )
            status = 404
    return render_page(
        request,
        "tasks_app/task_list.html",
        {
            "filters": filters,
            "page": page,
            "tasks": page.object_list if page is not None else [],
            "problems": problems,
            "current_view": request.GET.get("view", ""),
            "task_types": registry.names(),
            "statuses": TaskStatus.choices,
            "scopes": TaskScope.choices,
        },
        status=status,
    )
