"""The demo's DATABASE_URL: connections are not kept per thread (a burst of requests would
leave one open per thread until the database refuses new clients)."""

import http.client
from urllib.parse import urlsplit

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from gtf_project import dburl


@pytest.mark.parametrize("url", ["postgres://u@h:5432/db", "mysql://root@127.0.0.1:3306/db"])
def test_server_databases_close_connections_after_each_request(url):
    assert dburl.parse(url)["CONN_MAX_AGE"] == 0


def test_the_demo_closes_connections_after_each_request(settings):
    # Under runserver (WSGI) as under ASGI; GTF_CONN_MAX_AGE changes it.
    from gtf_project import settings as demo

    assert demo.CONN_MAX_AGE == 0
    if connection.vendor != "sqlite":
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


def open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_keep_alive_clients_leaves_no_connections_open(live_server, user):
    token = Token.objects.create(user=user).key
    before = open_connections()
    address = urlsplit(live_server.url)
    clients = []
    for _ in range(20):
        client = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        client.request("GET", "/api/v1/tasks/", headers={"Authorization": f"Token {token}"})
        response = client.getresponse()
        assert response.status == 200 and response.read()
        clients.append(client)  # kept alive: each holds its server thread
    try:
        assert open_connections() <= before + 2
    finally:
        for client in clients:
            client.close()
