"""The task list every face pages through: exactly the visible tasks, in order, page by page,
reading for a user's page only about the rows it shows."""

import json
import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app import rules
from tasks_app.enums import TaskScope, TaskStatus
from tasks_app.models import Task, TaskSubscriber
from tasks_app.paging import CappedPaginator
from tasks_app.selectors import TaskListing
from tests.factories import StaffFactory, TaskFactory, UserFactory, backdate

pytestmark = pytest.mark.django_db
S = TaskStatus


@pytest.fixture
def people():
    return {
        "alice": UserFactory(username="alice"),
        "bob": UserFactory(username="bob"),
        "carol": UserFactory(username="carol"),
        "gone": UserFactory(username="gone", is_active=False),
        "staff": StaffFactory(username="admin"),
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def mixed(people):
    """48 tasks of every scope, status and owner, created at 16 distinct times (so ties are
    broken by id), each shared one followed by its creator and some others; and two stray
    subscriptions to tasks that are not shared, which must not make them visible."""
    rng = random.Random(7)
    owners = [people[name] for name in ("alice", "bob", "carol", "gone")]
    start = timezone.now() - timedelta(days=30)
    for _ in range(48):
        task = TaskFactory(
            scope=rng.choice(list(TaskScope)),
            status=rng.choice([S.PENDING, S.IN_PROGRESS, S.SUCCESS, S.FAILURE]),
            task_type=rng.choice(["t.add", "t.shared_noop"]),
            created_by=rng.choice(owners),
        )
        if task.scope == TaskScope.SHARED:
            for user in {task.created_by, *rng.sample(owners, rng.randint(0, 2))}:
                TaskSubscriber.objects.create(task=task, user=user)
        backdate(task, start + timedelta(hours=rng.randrange(16)))
    alice = people["alice"]
    for scope in (TaskScope.PRIVATE, TaskScope.SYSTEM):
        stray = Task.objects.filter(scope=scope).exclude(created_by=alice).first()
        TaskSubscriber.objects.create(task=stray, user=alice)
    return Task.objects.all()


def expected(user, tasks, key):
    followed = set(TaskSubscriber.objects.values_list("task_id", "user_id"))
    visible = [
        t
        for t in tasks
        if rules.may_see(user, t, is_subscribed=lambda t=t: (t.pk, user.pk) in followed)
    ]
    return [t.pk for t in sorted(visible, key=key)]


def every_page(listing, size):
    paginator = CappedPaginator(listing, size, cap=1000)
    pks, number = [], 1
    while True:
        page = paginator.page(number)
        pks += [t.pk for t in page]
        if not page.has_next():
            return pks, paginator.count, paginator.count_is_exact
        number += 1


def newest(t):
    return (-t.created_at.timestamp(), -t.pk)


def oldest(t):
    return (t.created_at.timestamp(), t.pk)


def recently_updated(t):
    return (-t.updated_at.timestamp(), -t.pk)


ORDERS = {
    "default": (lambda qs: qs, newest),
    "unordered": (lambda qs: qs.order_by(), newest),
    "newest": (lambda qs: qs.order_by("-created_at", "-id"), newest),
    "oldest": (lambda qs: qs.order_by("created_at", "id"), oldest),
    "updated": (lambda qs: qs.order_by("-updated_at", "-id"), recently_updated),
}
FILTERS = {
    "all": lambda qs: qs,
    "in progress": lambda qs: qs.filter(status=S.IN_PROGRESS),
    "type": lambda qs: qs.filter(task_type="t.shared_noop"),
    "two statuses": lambda qs: qs.filter(status__in=[S.PENDING, S.FAILURE]),
    "key or type": lambda qs: qs.filter(Q(task_key__contains="1") | Q(task_type="t.add")),
    # A filter with a join of its own, as the task center's "subscribed" tab.
    "followed by carol": lambda qs: qs.filter(subscribers__user__email="carol@example.com"),
}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("who", ["alice", "bob", "gone", "staff", "anonymous"])
def test_pages_hold_exactly_the_visible_tasks_in_order(people, mixed, who, order):
    user = people[who]
    arrange, key = ORDERS[order]
    for name, narrow in FILTERS.items():
        want = expected(user, narrow(mixed), key)
        for size in (1, 4, 50):
            listing = TaskListing(user=user, tasks=arrange(narrow(Task.objects.all())))
            assert every_page(listing, size) == (want, len(want), True), (name, size)


def test_alice_sees_her_private_and_followed_shared_tasks_only(people, mixed):
    alice = people["alice"]
    seen = Task.objects.filter(pk__in=every_page(TaskListing(user=alice, tasks=mixed), 7)[0])
    assert seen.exists()
    for task in seen:
        if task.scope == TaskScope.PRIVATE:
            assert task.created_by == alice
        else:
            assert task.scope == TaskScope.SHARED
            assert task.subscribers.filter(user=alice).exists()


def test_a_page_carries_creator_and_subscription_columns(people, mixed):
    alice = people["alice"]
    listing = TaskListing(user=alice, tasks=Task.objects.all())
    with CaptureQueriesContext(connection) as captured:
        rows = listing.rows(0, 50)
        shown = [(t.created_by.get_username(), t.subscriber_count, t.is_subscribed) for t in rows]
    assert len(captured.captured_queries) == 1
    for task, (creator, count, subscribed) in zip(rows, shown, strict=True):
        assert creator == Task.objects.get(pk=task.pk).created_by.get_username()
        assert count == TaskSubscriber.objects.filter(task=task).count()
        assert subscribed == TaskSubscriber.objects.filter(task=task, user=alice).exists()


def test_a_subscription_copies_its_task_scope_and_creation_time(user, other):
    from tasks_app.services import subscriber_add

    task = TaskFactory(scope=TaskScope.SHARED, created_by=user)
    assert subscriber_add(task=task, user=other)
    row = TaskSubscriber.objects.get(task=task, user=other)
    assert (row.task_scope, row.task_created_at) == (task.scope, task.created_at)
    # However it is made, the copy is taken from the task.
    direct = TaskSubscriber.objects.create(task=task, user=user)
    direct.refresh_from_db()
    assert (direct.task_scope, direct.task_created_at) == (task.scope, task.created_at)


def explain(sql: str, *options: str):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({', '.join(['ANALYZE', *options])}) {sql}")
        rows = [row[0] for row in cursor.fetchall()]
    return rows[0] if options else "\n".join(rows)


def task_rows_read(sql: str) -> int:
    """Rows of the task table PostgreSQL read to answer ``sql`` (EXPLAIN ANALYZE): rows of
    its heap, not entries of an index read alone."""
    plan = explain(sql, "FORMAT JSON")
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def walk(node):
        own = 0
        if node.get("Relation Name") == Task._meta.db_table:
            if node["Node Type"] == "Index Only Scan":
                own = node["Heap Fetches"]
            else:
                own = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            own *= node["Actual Loops"]
        return own + sum(walk(child) for child in node.get("Plans", []))

    return walk(plan[0]["Plan"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_a_users_first_page_reads_about_the_rows_it_shows(user, other):
    # Among 20,000 tasks, alice's 800 private and 1,600 followed shared ones, interleaved in
    # time: her first page of successful tasks must not read every task she may see, only
    # about what it shows (the walk along her subscriptions tests each task's status).
    rng = random.Random(3)
    tasks = Task.objects.bulk_create(
        Task(
            task_type="t.add",
            task_key=f"k{i}",
            scope=TaskScope.SHARED if i % 25 in (1, 2) else TaskScope.PRIVATE,
            status=rng.choice([S.SUCCESS, S.SUCCESS, S.SUCCESS, S.FAILURE]),
            created_by=user if i % 25 == 0 else other,
        )
        for i in range(20_000)
    )
    TaskSubscriber.objects.bulk_create(
        TaskSubscriber(task=t, user=user, task_scope=t.scope, task_created_at=t.created_at)
        for t in tasks
        if t.scope == TaskScope.SHARED
    )
    for model in (Task, TaskSubscriber):  # as autovacuum keeps a live database
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    listing = TaskListing(user=user, tasks=Task.objects.filter(status=S.SUCCESS))
    with CaptureQueriesContext(connection) as captured:
        page = listing.rows(0, 26)
    assert len(page) == 26
    (query,) = captured.captured_queries
    assert task_rows_read(query["sql"]) <= 4 * 26, explain(query["sql"])


@pytest.mark.parametrize("who", ["alice", "bob", "gone", "staff", "anonymous"])
def test_finding_one_task_follows_the_same_rule(people, mixed, who):
    user = people[who]
    followed = set(TaskSubscriber.objects.values_list("task_id", "user_id"))
    for task in mixed:
        rule = rules.may_see(user, task, is_subscribed=lambda t=task: (t.pk, user.pk) in followed)
        assert Task.objects.visible_to(user).filter(uuid=task.uuid).exists() == rule, task


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.PENDING])
def test_a_users_page_of_a_status_walks_her_own_rows_not_every_task_of_it(user, other, status):
    # 30,000 tasks, a fifth of them of the status; alice follows 300 shared tasks. Her page
    # and its count test her own rows (her private tasks by index, each followed task by its
    # key): a few hundred task rows, never the 6,000 of the status, whatever looks cheaper.
    rng = random.Random(5)
    statuses = [status, S.SUCCESS, S.SUCCESS, S.SUCCESS, S.FAILURE]
    tasks = Task.objects.bulk_create(
        Task(
            task_type="t.add",
            task_key=f"k{i}",
            scope=TaskScope.SHARED if i % 100 == 1 else TaskScope.PRIVATE,
            status=rng.choice(statuses),
            created_by=user if i % 100 == 0 else other,
        )
        for i in range(30_000)
    )
    followed = TaskSubscriber.objects.bulk_create(
        TaskSubscriber.of(t, user.pk) for t in tasks if t.scope == TaskScope.SHARED
    )
    for model in (Task, TaskSubscriber):  # as autovacuum keeps a live database
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    of_status = Task.objects.filter(status=status)
    paginator = CappedPaginator(TaskListing(user=user, tasks=of_status), 25, cap=10_000)
    with CaptureQueriesContext(connection) as captured:
        page, count = paginator.page(1), paginator.count
    want = expected(user, of_status, newest)
    assert ([t.pk for t in page], count) == (want[:25], len(want))
    assert of_status.count() > 10 * len(followed)
    # The page's walk and the count's each test her followed tasks once.
    for query in captured.captured_queries:
        assert task_rows_read(query["sql"]) <= 2 * len(followed) + 4 * 26, explain(query["sql"])
    assert len(captured.captured_queries) == 1  # the page and its count
