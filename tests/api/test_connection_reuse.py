"""The read API reuses its database connection without a health-check round trip, and survives a dead one.

Django's CONN_HEALTH_CHECKS spends a `SELECT 1` at the start of every request that reuses a
connection; the read API's first read is its own check (envmanager/api/auth.py `_first_read`).
PostgreSQL only: SQLite connections are not kept between requests.
"""

import io
import json
import sys

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import connection

from config.wsgi import application

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("environment")]


@pytest.fixture
def health_checks(monkeypatch):
    """Count Django's health checks (`is_usable`) on the default connection."""
    calls = []
    real = connection.is_usable

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", counted)
    return calls


def _variable(client, issued):
    """GET a variable through envmanager's WSGI application, as gunicorn calls it.

    Not the test client: it leaves out the request_started handler that makes Django check reused
    connections, which is the behaviour under test.
    """
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/variables/region", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {issued.plain}", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])

    body = b"".join(application(environ, start_response))
    return answer["status"], json.loads(body)


@pytest.mark.django_db(transaction=True)
def test_a_reused_connection_costs_no_health_check_round_trip(client, dev_token, health_checks):
    assert _variable(client, dev_token)[0] == 200
    assert connection.connection is not None and connection.health_check_enabled  # kept for the next request

    for _ in range(3):
        assert _variable(client, dev_token)[0] == 200

    assert health_checks == []
    # Anything else keeps Django's check: a new request, then a read outside the read API.
    request_started.send(sender=WSGIHandler, environ={})
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert health_checks == [1]


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_closed_meanwhile_is_replaced_and_the_lookup_answers(client, dev_token):
    assert _variable(client, dev_token)[0] == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                         dbname=settings["NAME"], password=settings["PASSWORD"] or None, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)

    status, body = _variable(client, dev_token)

    assert status == 200 and body["fields"]["value"]["value"] == "eu-west-1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
