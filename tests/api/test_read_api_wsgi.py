"""The read API's own WSGI handler (envmanager/api/wsgi.py): its paths, its middleware, the same answers.

Driven through `config.wsgi.application`, as gunicorn calls it: the test client would run every
request with the page middleware (settings.MIDDLEWARE).
"""

import io
import json
import sys

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.db import close_old_connections

from config.wsgi import application
from envmanager.api.wsgi import ReadApiHandler, is_read_api_path

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("environment")]


def _get(path: str, *, token=None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET `path` through the WSGI application; return (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
    }
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token.plain}"
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    # As Django's test client does: the test's transaction is not a connection to close.
    request_started.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
    return answer["status"], answer["headers"], body


@pytest.mark.parametrize(("path", "read_api"), [
    ("/api/v1/environment", True),
    ("/api/v1/variables/region", True),
    ("/api/v1/connections/a/b", True),
    ("/api/v1/env/LOG_LEVEL", True),
    ("/api/v1/metrics/prometheus", True),
    ("/api/v1/environment/", False),
    ("/api/v1/environments", False),
    ("/api/v1/variables", False),
    ("/api/v1/openapi.json", False),
    ("/api/v1/manage/tokens", False),
    ("/", False),
    ("/admin/", False),
])
def test_the_read_api_paths_are_told_apart_from_every_other(path, read_api):
    assert is_read_api_path(path) is read_api


def test_a_lookup_answers_as_through_the_page_middleware_with_the_security_headers_only(client, dev_token):
    status, headers, body = _get("/api/v1/variables/region", token=dev_token)

    through_pages = client.get("/api/v1/variables/region", headers={"Authorization": f"Bearer {dev_token.plain}"})
    assert status == 200 and json.loads(body) == through_pages.json()
    assert json.loads(body)["fields"]["value"]["value"] == "eu-west-1"
    assert headers["Content-Length"] == str(len(body)) and headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "same-origin" and headers["Cross-Origin-Opener-Policy"] == "same-origin"
    # The page middleware did not run: no session cookie, no HTML policies.
    assert not {"Set-Cookie", "Content-Security-Policy", "X-Frame-Options"} & set(headers)


def test_pages_still_run_with_the_page_middleware():
    status, headers, _ = _get("/accounts/login/")

    assert status == 200
    assert "Content-Security-Policy" in headers and headers["X-Frame-Options"] == "DENY"


def test_unstorable_input_and_missing_tokens_are_refused_in_the_apis_shape(dev_token):
    status, headers, body = _get("/api/v1/variables/a\x00b", token=dev_token)
    assert status == 400 and "message" in json.loads(body) and headers["Content-Length"] == str(len(body))

    status, headers, body = _get("/api/v1/variables/region")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer") and "message" in json.loads(body)


def test_a_host_outside_allowed_hosts_is_refused(dev_token):
    status, _, body = _get("/api/v1/variables/region", token=dev_token, headers={"Host": "attacker.example"})

    assert status == 400 and "message" in json.loads(body) and b"eu-west-1" not in body


def test_a_revalidation_answers_304_without_a_body(dev_token):
    status, headers, _ = _get("/api/v1/environment", token=dev_token)
    assert status == 200

    status, again, body = _get("/api/v1/environment", token=dev_token, headers={"If-None-Match": headers["ETag"]})

    assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]


def test_a_lookup_costs_the_same_two_queries(dev_token, django_assert_num_queries):
    _get("/api/v1/variables/region", token=dev_token)  # the first use writes last_used_at
    with django_assert_num_queries(2):  # the token, the variable
        assert _get("/api/v1/variables/region", token=dev_token)[0] == 200


def test_loading_the_read_api_middleware_leaves_the_settings_as_they_were():
    before = list(settings.MIDDLEWARE)

    ReadApiHandler()

    assert settings.MIDDLEWARE == before and settings.READ_API_MIDDLEWARE != before
