"""The task list page: visibility, tabs, filters, search, paging, rows, bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.models import Task
from tasks_app.services import subscriber_add

pytestmark = pytest.mark.django_db
URL = "/tasks/"


def uuids_on(response) -> set[str]:
    return {str(t.uuid) for t in response.context["tasks"]}


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/tasks/")


def test_a_user_sees_own_and_subscribed_tasks_only(login, submit, user, other, staff):
    mine = submit(user)
    theirs = submit(other)
    shared = submit(other, "t.shared_noop", task_key="k")
    subscriber_add(task=shared, user=user)
    system = submit(staff, "t.system_noop", scope="system")
    response = login(user).get(URL)
    assert response.status_code == 200
    assert uuids_on(response) == {str(mine.uuid), str(shared.uuid)}
    assert str(theirs.uuid) not in response.content.decode()
    assert str(system.uuid) not in response.content.decode()


def test_staff_see_every_task(login, submit, user, other, staff):
    tasks = [submit(user), submit(other), submit(staff, "t.system_noop", scope="system")]
    assert uuids_on(login(staff).get(URL)) == {str(t.uuid) for t in tasks}


def test_tabs_mine_and_subscribed(login, submit, user, other):
    mine = submit(user)
    followed = submit(other, "t.shared_noop", task_key="k")
    subscriber_add(task=followed, user=user)
    client = login(user)
    assert uuids_on(client.get(URL, {"view": "mine"})) == {str(mine.uuid)}
    assert uuids_on(client.get(URL, {"view": "subscribed"})) == {str(followed.uuid)}


def test_status_type_and_scope_filters(login, submit, user):
    add = submit(user)
    shared = submit(user, "t.shared_noop", task_key="s")
    Task.objects.filter(pk=add.pk).update(status="FAILURE")
    client = login(user)
    assert uuids_on(client.get(URL, {"status": "FAILURE"})) == {str(add.uuid)}
    assert uuids_on(client.get(URL, {"task_type": "t.shared_noop"})) == {str(shared.uuid)}
    assert uuids_on(client.get(URL, {"scope": "shared"})) == {str(shared.uuid)}


@pytest.mark.parametrize("cut", [8, 13, 6])
def test_search_by_uuid_prefix_with_or_without_dashes(login, submit, user, cut):
    target = submit(user)
    submit(user)
    text = str(target.uuid)
    client = login(user)
    assert uuids_on(client.get(URL, {"search": text[:cut]})) == {text}
    assert uuids_on(client.get(URL, {"search": text.replace("-", "")[:cut].upper()})) == {text}


def test_search_by_key_and_name(login, submit, user):
    keyed = submit(user, task_key="invoice-2024")
    named = submit(user, task_name="Quarterly export")
    client = login(user)
    assert uuids_on(client.get(URL, {"search": "INVOICE"})) == {str(keyed.uuid)}
    assert uuids_on(client.get(URL, {"search": "quarterly"})) == {str(named.uuid)}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"status": "BOGUS"}, "status"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"scope": "galaxy"}, "scope"),
        ({"view": "everything"}, "view"),
        ({"page": "abc"}, "page"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_input_is_a_400_page_naming_it(login, user, query, named):
    response = login(user).get(URL, query)
    assert response.status_code == 400
    assert any(p.startswith(named) for p in response.context["problems"])
    assert named in response.content.decode()


def test_a_page_past_the_end_is_404_saying_how_many_there_are(login, submit, user):
    submit(user)
    response = login(user).get(URL, {"page": "9"})
    assert response.status_code == 404
    assert "There is no page 9: the list has 1." in response.content.decode()


def test_paging_keeps_the_filters(login, submit, user):
    for n in range(3):
        submit(user, task_key=f"k{n}")
    response = login(user).get(URL, {"page_size": "2", "search": "k"})
    html = response.content.decode()
    assert len(response.context["tasks"]) == 2
    assert 'href="?page_size=2&amp;search=k&amp;page=2"' in html


def test_a_row_shows_type_key_status_progress_age_and_duration(login, submit, user):
    task = submit(user, task_key="row-key")
    Task.objects.filter(pk=task.pk).update(
        status="IN_PROGRESS", progress_current=21, progress_total=50, progress_percent=42.0
    )
    html = login(user).get(URL).content.decode()
    assert "<code>t.add</code>" in html and "row-key" in html
    assert 'data-role="status-label">In progress<' in html
    assert 'role="progressbar"' in html and 'aria-valuenow="42"' in html
    assert "42% · 21 / 50" in html
    assert " ago</time>" in html


def test_status_is_not_told_by_colour_alone(login, submit, user):
    submit(user)
    html = login(user).get(URL).content.decode()
    assert 'class="gtf-icon" aria-hidden="true">○</span>' in html
    assert ">Pending</span>" in html


def test_one_list_page_costs_the_same_queries_for_5_or_50_rows(login, submit, user, other):
    client = login(user)
    client.get(URL)  # session and user loaded once, as on any page

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"page_size": "100"}).status_code == 200
        return len(queries)

    for n in range(5):
        shared = submit(other, "t.shared_noop", task_key=f"s{n}")
        subscriber_add(task=shared, user=user)
    few = count()
    for _ in range(45):
        submit(user)
    assert count() == few
    assert few == 3  # session, user, the page's rows (it shows the end: no count needed)


def test_live_mode_under_wsgi_polls_the_api_status_endpoint(login, submit, user, settings):
    submit(user)
    html = login(user).get(URL).content.decode()
    assert 'data-live="poll"' in html
    assert 'data-status-url="/api/v1/tasks/00000000-0000-4000-8000-000000000000/status/"' in html
    settings.GTF = {**settings.GTF, "WEB_LIVE": "off"}
    html = login(user).get(URL).content.decode()
    assert 'data-live="off"' in html and "Reload the page to see the latest progress." in html
