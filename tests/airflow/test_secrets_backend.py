"""The secrets backend class against a live envmanager (pytest-django's live_server), without Airflow."""

import json
import socket
import subprocess
import sys
import time

import pytest

from envmanager.services import env_objects as env_object_services
from envmanager.services import tokens as token_services
from envmanager_airflow.secrets import EnvmanagerSecretsBackend, quote_key
from tests.airflow.conftest import API_KEY_VALUE, REPO_ROOT, WAREHOUSE_DEV_PASSWORD

pytestmark = pytest.mark.usefixtures("delivered")


def _backend(live_server, token_file, **kwargs):
    return EnvmanagerSecretsBackend(url=live_server.url, token_file=str(token_file), **kwargs)


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_value_is_airflows_json_format_with_the_override(live_server, token_file):
    backend = _backend(live_server, token_file)

    value = json.loads(backend.get_conn_value("warehouse"))

    assert value == {
        "conn_type": "postgres", "description": "Main warehouse", "login": "etl",
        "password": WAREHOUSE_DEV_PASSWORD, "host": "db-dev.internal", "port": 5432, "schema": "analytics",
        "extra": json.dumps({"sslmode": "require"}),
    }


def test_variables_come_back_as_strings(live_server, token_file):
    backend = _backend(live_server, token_file)

    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("api_key") == API_KEY_VALUE


def test_airflow_team_name_keyword_is_accepted(live_server, token_file):
    backend = _backend(live_server, token_file)

    assert backend.get_variable(key="region", team_name=None) == "eu-west-1"
    assert backend.get_conn_value(conn_id="warehouse", team_name="analytics") is not None


def test_unknown_keys_are_none_so_airflow_falls_back(live_server, token_file, backend_logs):
    backend = _backend(live_server, token_file)

    assert backend.get_variable("no_such_variable") is None
    assert backend.get_conn_value("no_such_connection") is None
    assert backend.get_conn_value("region") is None  # a variable is not a connection
    assert backend.get_variable("key with spaces/and slash") is None
    assert backend.get_config("core__fernet_key") is None
    # A 404 is routine: neither the backend nor the server warns about an unknown key, whatever it holds.
    assert [r.getMessage() for r in backend_logs.records if r.levelname == "WARNING"] == []


@pytest.mark.parametrize(
    ("key", "segment"),
    [
        ("warehouse", "warehouse"),
        ("odd:conn#id(1)", "odd%3Aconn%23id%281%29"),
        ("a/b c%", "a%2Fb%20c%25"),
        ("ключ", "%D0%BA%D0%BB%D1%8E%D1%87"),
        ("..", "%2E%2E"),
        ("a.b", "a.b"),
    ],
)
def test_every_key_is_one_encoded_path_segment(key, segment):
    assert quote_key(key) == segment


def test_keys_airflow_accepts_resolve_through_the_backend(live_server, token_file, workspace, dev):
    for kind, key in [("connection", "odd:conn#id(1)/x"), ("connection", "соединение_бд"), ("variable", "ключ_переменной")]:
        fields = {"conn_type": "http", "password": "  pw  "} if kind == "connection" else {"value": "v\n"}
        env_object_services.env_object_create(
            workspace=workspace, deployment=dev, actor=None, kind=kind, key=key, fields=fields
        )
    backend = _backend(live_server, token_file)

    assert json.loads(backend.get_conn_value("odd:conn#id(1)/x"))["password"] == "  pw  "
    assert json.loads(backend.get_conn_value("соединение_бд"))["password"] == "  pw  "
    assert backend.get_variable("ключ_переменной") == "v\n"


def test_answers_are_cached_for_the_ttl_then_refreshed(live_server, token_file, dev):
    backend = _backend(live_server, token_file, cache_ttl_seconds=2)
    started = time.monotonic()
    assert backend.get_variable("api_key") == API_KEY_VALUE
    assert backend.get_variable("added_later") is None

    api_key = dev.env_objects.get(key="api_key")
    env_object_services.env_object_update(env_object=api_key, actor=None, fields={"value": "changed"})
    env_object_services.env_object_create(
        workspace=dev.workspace, deployment=dev, actor=None, kind="variable", key="added_later", fields={"value": "new"}
    )

    assert backend.get_variable("api_key") == API_KEY_VALUE  # still cached
    # "Not found" is not cached by default: a key that just arrived (e.g. migrated) is seen at once.
    assert backend.get_variable("added_later") == "new"
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and backend.get_variable("api_key") != "changed":
        time.sleep(0.05)
    assert backend.get_variable("api_key") == "changed"
    assert time.monotonic() - started >= 2  # not before the TTL was up


def test_not_found_answers_are_cached_only_when_asked(live_server, token_file, dev):
    backend = _backend(live_server, token_file, cache_ttl_seconds=60, not_found_ttl_seconds=60)
    assert backend.get_variable("added_later") is None
    env_object_services.env_object_create(
        workspace=dev.workspace, deployment=dev, actor=None, kind="variable", key="added_later", fields={"value": "new"}
    )
    assert backend.get_variable("added_later") is None  # the miss is reused for not_found_ttl_seconds


def test_cache_serves_repeated_lookups_without_a_request(live_server, token_file, closed_port, backend_logs):
    backend = _backend(live_server, token_file, cache_ttl_seconds=60)
    backend.get_variable("region")

    backend.api_url = f"http://127.0.0.1:{closed_port}/api/v1"  # any request would now fail and warn

    assert [backend.get_variable("region") for _ in range(100)] == ["eu-west-1"] * 100
    assert "cannot read" not in backend_logs.text


def test_ttl_zero_disables_the_cache(live_server, token_file, dev):
    backend = _backend(live_server, token_file, cache_ttl_seconds=0)
    assert backend.get_variable("api_key") == API_KEY_VALUE

    env_object_services.env_object_update(env_object=dev.env_objects.get(key="api_key"), actor=None, fields={"value": "now"})

    assert backend.get_variable("api_key") == "now"


def test_server_down_returns_none_and_warns_without_the_token(closed_port, token_file, dev_token, backend_logs):
    backend = EnvmanagerSecretsBackend(url=f"http://127.0.0.1:{closed_port}", token_file=str(token_file), timeout=1)

    started = time.monotonic()
    assert backend.get_variable("region") is None
    assert backend.get_conn_value("warehouse") is None
    assert time.monotonic() - started < 2

    warnings = [r for r in backend_logs.records if r.levelname == "WARNING"]
    assert warnings and "falling back" in warnings[0].getMessage()
    assert dev_token.plain not in backend_logs.text


def test_a_server_that_never_answers_times_out_and_falls_back(token_file, backend_logs):
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        backend = EnvmanagerSecretsBackend(url=f"http://127.0.0.1:{port}", token_file=str(token_file), timeout=0.5)

        started = time.monotonic()
        assert backend.get_variable("region") is None
        assert 0.4 < time.monotonic() - started < 3
    assert "timed out" in backend_logs.text.lower()


def test_after_a_failure_the_server_is_not_asked_again_for_a_moment(closed_port, token_file, backend_logs):
    backend = EnvmanagerSecretsBackend(
        url=f"http://127.0.0.1:{closed_port}", token_file=str(token_file), retry_after_seconds=30
    )
    for _ in range(20):
        assert backend.get_variable("region") is None

    assert len([r for r in backend_logs.records if r.levelname == "WARNING"]) == 1


def test_a_value_read_before_an_outage_is_served_during_it(live_server, token_file, closed_port, backend_logs):
    backend = _backend(live_server, token_file, cache_ttl_seconds=0.1, stale_if_error_seconds=60)
    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("missing") is None
    time.sleep(0.15)

    backend.api_url = f"http://127.0.0.1:{closed_port}/api/v1"  # envmanager goes away

    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("missing") is None
    assert backend.get_variable("never_read") is None
    assert "serving the value read earlier" in backend_logs.text


def test_stale_values_are_not_served_when_disabled(live_server, token_file, closed_port):
    backend = _backend(live_server, token_file, cache_ttl_seconds=0.1, stale_if_error_seconds=0)
    assert backend.get_variable("region") == "eu-west-1"
    time.sleep(0.15)
    backend.api_url = f"http://127.0.0.1:{closed_port}/api/v1"

    assert backend.get_variable("region") is None


def test_revoked_token_falls_back_with_a_warning_that_does_not_show_it(live_server, token_file, dev_token, backend_logs):
    token_services.api_token_revoke(api_token=dev_token.api_token, actor=None)
    backend = _backend(live_server, token_file)

    assert backend.get_variable("region") is None
    assert "refused" in backend_logs.text
    assert dev_token.plain not in backend_logs.text


def test_token_file_is_reread_when_the_token_is_rotated(live_server, token_file, dev, dev_token):
    backend = _backend(live_server, token_file, cache_ttl_seconds=0)
    assert backend.get_variable("region") == "eu-west-1"

    new = token_services.api_token_create(actor=None, name="rotated", deployment=dev)
    token_services.api_token_revoke(api_token=dev_token.api_token, actor=None)
    time.sleep(0.01)  # a distinct mtime
    token_file.write_text(new.plain + "\n")

    assert backend.get_variable("region") == "eu-west-1"


def test_missing_token_file_falls_back_with_a_warning(live_server, tmp_path, backend_logs):
    backend = EnvmanagerSecretsBackend(url=live_server.url, token_file=str(tmp_path / "absent"))

    assert backend.get_variable("region") is None
    assert "cannot read token_file" in backend_logs.text


def test_token_given_inline_works_and_never_shows_in_repr(live_server, dev_token):
    backend = EnvmanagerSecretsBackend(url=live_server.url + "/api/v1/", token=dev_token.plain)

    assert backend.get_variable("region") == "eu-west-1"
    assert dev_token.plain not in repr(backend)
    assert backend.api_url == live_server.url + "/api/v1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "", "token": "t"}, "url"),
        ({"url": "ftp://x", "token": "t"}, "url"),
        ({"url": "http://x"}, "exactly one"),
        ({"url": "http://x", "token": "t", "token_file": "/f"}, "exactly one"),
    ],
)
def test_bad_configuration_is_refused_at_start(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EnvmanagerSecretsBackend(**kwargs)


def test_string_kwargs_from_airflow_environment_overrides_are_accepted(live_server, dev_token):
    """Airflow passes per-key overrides (AIRFLOW__SECRETS__BACKEND_KWARGS__TIMEOUT) as strings."""
    backend = EnvmanagerSecretsBackend(url=live_server.url, token=dev_token.plain, cache_ttl_seconds="2", timeout="4")

    assert (backend.cache_ttl, backend.timeout) == (2.0, 4.0)


def test_module_imports_without_django_or_anything_outside_the_standard_library():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import envmanager_airflow.secrets as m;"
        "third = sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'requests', 'urllib3', 'airflow'));"
        "print(third); assert not third, third;"
        "assert m.EnvmanagerSecretsBackend(url='http://x', token='t').get_config('k') is None"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code, str(REPO_ROOT)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
