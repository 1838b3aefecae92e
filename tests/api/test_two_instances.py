"""Issue #13: two envmanager instances (separate gunicorn processes) on one PostgreSQL database.

They share nothing but the database: the same token revalidates the same way through either, and a
change made through one is what the other serves next.
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from envmanager.services import tokens as token_services
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.factories import EnvVarFactory

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"  # the test database, committed rows


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)  # readiness poll of a starting process, not a timing assumption
    pytest.fail(f"gunicorn did not start: {log.read_text()}")


@pytest.fixture
def instances(tmp_path):
    """Two gunicorn processes (gthread, as bin/serve runs it) on the test database; yields their base URLs."""
    env = {
        **os.environ, "DATABASE_URL": _database_url(), "ENVMANAGER_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "SECRET_KEY": "two-instances-test-secret-key-" + "x" * 30, "ENVMANAGER_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    started = []
    for index in range(2):
        port = _free_port()
        log = tmp_path / f"gunicorn-{index}.log"
        process = subprocess.Popen(
            [str(REPO_ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--worker-class", "gthread", "--threads", "2", "--keep-alive", "75",
             "--error-logfile", str(log), "--log-level", "warning"],
            cwd=REPO_ROOT, env=env, start_new_session=True,
        )
        started.append((process, port, log))
    try:
        for process, port, log in started:
            _wait_until_serving(port, process, log)
        yield [f"http://127.0.0.1:{port}" for _, port, _ in started]
    finally:
        for process, _, _ in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process, _, _ in started:
            process.wait(timeout=30)


def _environment(base: str, token: str, etag: str | None = None):
    request = urllib.request.Request(base + "/api/v1/environment", headers={
        "Authorization": f"Bearer {token}", "X-Envmanager-Reader": "test:1:two-instances",
        **({"If-None-Match": etag} if etag else {}),
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["ETag"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("ETag"), exc.read()


def _signed_in(base: str, user) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": user.username, "password": "pw-for-tests", "csrfmiddlewaretoken": csrf})
    opener.open(urllib.request.Request(base + "/accounts/login/", data=form.encode()), timeout=10).read()
    opener.csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    return opener


def test_two_instances_serve_one_token_consistently(instances, workspace, dev, owner, settings):
    first, second = instances
    # The instances hash with the default hashers, not the tests' fast MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    owner.set_password("pw-for-tests")
    owner.save()
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL", fields={"value": "debug"})
    token = token_services.api_token_create(actor=None, name="replicas", deployment=dev).plain

    status_a, etag_a, body_a = _environment(first, token)
    status_b, etag_b, body_b = _environment(second, token)
    assert (status_a, status_b) == (200, 200)
    assert etag_a == etag_b and body_a == body_b
    assert _environment(second, token, etag_a)[0] == 304
    assert _environment(first, token, etag_b)[0] == 304

    # A change through the first instance's UI...
    browser = _signed_in(first, owner)
    form = urllib.parse.urlencode({"key": "ADDED_THROUGH_A", "value": "from-a", "csrfmiddlewaretoken": browser.csrf})
    created = browser.open(urllib.request.Request(
        f"{first}/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/environment-variables/new/", data=form.encode(),
        headers={"Referer": first + "/"},
    ), timeout=10)
    assert created.status == 200  # followed the redirect to the Environment page

    # ... is what the second serves next, under a new ETag both agree on.
    status, etag_after, body = _environment(second, token, etag_a)
    assert status == 200 and etag_after != etag_a
    assert b'"ADDED_THROUGH_A"' in body and b'"from-a"' in body
    assert _environment(first, token, etag_after)[0] == 304
    assert connection.vendor == "postgresql"
