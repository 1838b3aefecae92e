"""The secrets backend class against a live envmanager (pytest-django's live_server), without Airflow.

Time is a FakeClock the tests move: TTLs, refresh intervals and outages need no sleeping.
"""

import ast
import json
import os
import socket
import subprocess
import sys

import pytest

from envmanager.services import env_objects as env_object_services
from envmanager.services import tokens as token_services
from envmanager_airflow.secrets import SNAPSHOT_PATH, EnvmanagerSecretsBackend, quote_key
from tests.airflow.conftest import (
    API_KEY_VALUE,
    REPO_ROOT,
    WAREHOUSE_DEV_PASSWORD,
    count_connections,
    record_requests,
)

pytestmark = pytest.mark.usefixtures("delivered")
MODES = ["lookup", "snapshot"]


def _backend(live_server, token_file, clock=None, **kwargs):
    return EnvmanagerSecretsBackend(url=live_server.url, token_file=str(token_file), clock=clock, **kwargs)


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _add_variable(dev, key, value):
    env_object_services.env_object_create(
        workspace=dev.workspace, deployment=dev, actor=None, kind="variable", key=key, fields={"value": value}
    )


# --- What Airflow receives, in both modes ----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_connection_value_is_airflows_json_format_with_the_override(live_server, token_file, mode):
    backend = _backend(live_server, token_file, mode=mode)

    value = json.loads(backend.get_conn_value("warehouse"))

    assert value == {
        "conn_type": "postgres", "description": "Main warehouse", "login": "etl",
        "password": WAREHOUSE_DEV_PASSWORD, "host": "db-dev.internal", "port": 5432, "schema": "analytics",
        "extra": json.dumps({"sslmode": "require"}),
    }


@pytest.mark.parametrize("mode", MODES)
def test_variables_come_back_as_strings(live_server, token_file, mode):
    backend = _backend(live_server, token_file, mode=mode)

    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("api_key") == API_KEY_VALUE


@pytest.mark.parametrize("mode", MODES)
def test_airflow_team_name_keyword_is_accepted(live_server, token_file, mode):
    backend = _backend(live_server, token_file, mode=mode)

    assert backend.get_variable(key="region", team_name=None) == "eu-west-1"
    assert backend.get_conn_value(conn_id="warehouse", team_name="analytics") is not None


@pytest.mark.parametrize("mode", MODES)
def test_unknown_keys_are_none_so_airflow_falls_back(live_server, token_file, backend_logs, mode):
    backend = _backend(live_server, token_file, mode=mode)

    assert backend.get_variable("no_such_variable") is None
    assert backend.get_conn_value("no_such_connection") is None
    assert backend.get_conn_value("region") is None  # a variable is not a connection
    assert backend.get_config("core__fernet_key") is None
    assert not [r for r in backend_logs.records if r.levelname == "WARNING"]


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


@pytest.mark.parametrize("mode", MODES)
def test_keys_airflow_accepts_resolve_through_the_backend(live_server, token_file, workspace, dev, mode):
    for kind, key in [("connection", "odd:conn#id(1)/x"), ("connection", "соединение_бд"), ("variable", "ключ_переменной")]:
        fields = {"conn_type": "http", "password": "  pw  "} if kind == "connection" else {"value": "v\n"}
        env_object_services.env_object_create(
            workspace=workspace, deployment=dev, actor=None, kind=kind, key=key, fields=fields
        )
    backend = _backend(live_server, token_file, mode=mode)

    assert json.loads(backend.get_conn_value("odd:conn#id(1)/x"))["password"] == "  pw  "
    assert json.loads(backend.get_conn_value("соединение_бд"))["password"] == "  pw  "
    assert backend.get_variable("ключ_переменной") == "v\n"


# --- Snapshot mode ---------------------------------------------------------------------------------


def test_snapshot_answers_hits_and_misses_from_memory_with_one_request(live_server, token_file, clock):
    backend = _backend(live_server, token_file, clock, mode="snapshot")
    calls = record_requests(backend.client)

    answers = [backend.get_variable("region"), backend.get_variable("missing"), backend.get_conn_value("nothing")]
    for _ in range(200):
        backend.get_variable("metastore_only_key")
        backend.get_conn_value("warehouse")

    assert answers == ["eu-west-1", None, None]
    assert calls == [(SNAPSHOT_PATH, 200)]


def test_snapshot_revalidates_with_an_etag_after_refresh_seconds(live_server, token_file, clock, dev):
    backend = _backend(live_server, token_file, clock, mode="snapshot", refresh_seconds=5)
    calls = record_requests(backend.client)
    assert backend.get_variable("added_later") is None

    clock.advance(4.9)
    backend.get_variable("region")
    clock.advance(0.2)
    backend.get_variable("region")  # unchanged: 304, no body
    _add_variable(dev, "added_later", "new")
    assert backend.get_variable("added_later") is None  # not before the next refresh
    clock.advance(5)

    assert backend.get_variable("added_later") == "new"
    assert calls == [(SNAPSHOT_PATH, 200), (SNAPSHOT_PATH, 304), (SNAPSHOT_PATH, 200)]


def test_a_revalidation_starts_early_by_twice_the_slowest_recent_one(live_server, token_file, clock, dev):
    """So a change is in a process within refresh_seconds, answer included (issue #13: ≤ 5 s p99)."""
    backend = _backend(live_server, token_file, clock, mode="snapshot", refresh_seconds=5)
    original, durations = backend.client.get, iter([0.3, 0.01, 0.05, 2.0, 0.01])

    def slow_get(path, *, etag=None):  # each answer takes the next duration on the backend's clock
        response = original(path, etag=etag)
        clock.advance(next(durations))
        return response

    backend.client.get = slow_get
    calls = record_requests(backend.client)
    backend.get_variable("region")  # 200 in 0.3 s: the next starts 0.6 s early, 5 s after this one began
    clock.advance(5 - 0.3 - 0.6 - 0.01)
    backend.get_variable("region")
    assert calls == [(SNAPSHOT_PATH, 200)]
    clock.advance(0.02)
    backend.get_variable("region")  # 304 in 0.01 s: the slowest recent one (0.3 s) still sets the lead
    assert calls == [(SNAPSHOT_PATH, 200), (SNAPSHOT_PATH, 304)]
    _add_variable(dev, "added_later", "new")
    clock.advance(5 - 0.6 - 0.01 - 0.02)
    assert backend.get_variable("added_later") is None
    clock.advance(0.02)
    assert backend.get_variable("added_later") == "new"  # 200 in 0.05 s: the lead is now 0.1 s
    clock.advance(5 - 0.05 - 0.1 - 0.01)
    backend.get_variable("region")
    assert len(calls) == 3
    clock.advance(0.02)
    backend.get_variable("region")  # a 304 that took 2 s: the lead is at most half of refresh_seconds (2.5 s)
    assert len(calls) == 4
    clock.advance(0.48)
    backend.get_variable("region")
    assert len(calls) == 4
    clock.advance(0.02)
    backend.get_variable("region")
    assert len(calls) == 5


def test_snapshot_keeps_serving_during_an_outage_then_falls_back(
    live_server, token_file, clock, closed_port, backend_logs
):
    backend = _backend(live_server, token_file, clock, mode="snapshot", refresh_seconds=5,
                       stale_if_error_seconds=60, retry_after_seconds=2)
    assert backend.get_variable("region") == "eu-west-1"
    backend.client.set_url(f"http://127.0.0.1:{closed_port}")  # envmanager goes away

    clock.advance(10)
    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("missing") is None
    clock.advance(45)
    assert backend.get_variable("region") == "eu-west-1"  # 55 s since the last confirmation
    clock.advance(10)
    assert backend.get_variable("region") is None  # 65 s: too old to trust

    warnings = [r.getMessage() for r in backend_logs.records if r.levelname == "WARNING"]
    assert "serving the snapshot read earlier" in warnings[0]
    assert "falling back to the next secrets backend" in warnings[-1]


def test_snapshot_outage_costs_one_attempt_per_retry_period(live_server, token_file, clock, closed_port):
    backend = _backend(live_server, token_file, clock, mode="snapshot", refresh_seconds=1, retry_after_seconds=30)
    backend.get_variable("region")
    backend.client.set_url(f"http://127.0.0.1:{closed_port}")
    calls = record_requests(backend.client)

    for _ in range(20):
        clock.advance(1)
        assert backend.get_variable("region") == "eu-west-1"

    assert calls == [(SNAPSHOT_PATH, "failed")]


def test_snapshot_with_nothing_read_yet_falls_back_at_once(closed_port, token_file, clock, backend_logs):
    backend = EnvmanagerSecretsBackend(url=f"http://127.0.0.1:{closed_port}", token_file=str(token_file),
                                       mode="snapshot", clock=clock, timeout=1)

    assert backend.get_variable("region") is None
    assert "falling back" in backend_logs.text


def test_snapshot_file_is_read_instead_of_the_api(live_server, token_file, tmp_path, clock, dev):
    from envmanager_airflow.agent import Syncer

    syncer = Syncer(_backend(live_server, token_file).client, str(tmp_path), otel_host="127.0.0.1", otel_port=4318)
    syncer.sync_once()
    backend = EnvmanagerSecretsBackend(snapshot_file=str(tmp_path / "environment.json"), mode="snapshot",
                                       clock=clock, refresh_seconds=5)
    assert backend.client is None  # no URL, no token: nothing but the file

    assert backend.get_variable("region") == "eu-west-1"
    assert json.loads(backend.get_conn_value("warehouse"))["password"] == WAREHOUSE_DEV_PASSWORD
    _add_variable(dev, "added_later", "new")
    syncer.sync_once()
    clock.advance(5)
    assert backend.get_variable("added_later") == "new"


def test_a_snapshot_file_the_agent_stopped_refreshing_is_not_trusted_forever(
    live_server, token_file, tmp_path, clock, backend_logs
):
    from envmanager_airflow.agent import Syncer

    Syncer(_backend(live_server, token_file).client, str(tmp_path), otel_host="h", otel_port=1).sync_once()
    path = tmp_path / "environment.json"
    wall = [path.stat().st_mtime]
    backend = EnvmanagerSecretsBackend(snapshot_file=str(path), mode="snapshot", clock=clock,
                                       wall_clock=lambda: wall[0], stale_if_error_seconds=60)
    assert backend.get_variable("region") == "eu-west-1"

    wall[0] += 120  # the agent has not touched the file for two minutes
    clock.advance(10)

    assert backend.get_variable("region") is None
    assert "is the agent running?" in backend_logs.text


def test_a_stale_snapshot_file_falls_back_to_the_api_when_one_is_configured(live_server, token_file, tmp_path, clock):
    from envmanager_airflow.agent import Syncer

    Syncer(_backend(live_server, token_file).client, str(tmp_path), otel_host="h", otel_port=1).sync_once()
    path = tmp_path / "environment.json"
    os.utime(path, (0, 0))  # written long ago
    backend = _backend(live_server, token_file, clock, mode="snapshot", snapshot_file=str(path))
    calls = record_requests(backend.client)

    assert backend.get_variable("region") == "eu-west-1"
    assert calls == [(SNAPSHOT_PATH, 200)]


def test_a_forked_process_opens_its_own_connection(live_server, dev_token):
    """Airflow forks task processes: a child must never write into its parent's socket."""
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[1]);"
        "from envmanager_airflow.secrets import EnvmanagerSecretsBackend as B;"
        "b = B(url=sys.argv[2], token=sys.argv[3], mode='snapshot', refresh_seconds=0);"
        "assert b.get_variable('region') == 'eu-west-1';"
        "parent = b.client._connection.sock.getsockname();"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    ok = b.get_variable('region') == 'eu-west-1' and b.client._connection.sock.getsockname() != parent\n"
        "    os._exit(0 if ok else 3)\n"
        "_, status = os.waitpid(pid, 0); sys.exit(os.waitstatus_to_exitcode(status))"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code, str(REPO_ROOT), live_server.url, dev_token.plain],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr


# --- Lookup mode -----------------------------------------------------------------------------------


def test_lookup_answers_are_cached_for_the_ttl_then_refreshed(live_server, token_file, clock, dev):
    backend = _backend(live_server, token_file, clock, mode="lookup", cache_ttl_seconds=2)
    assert backend.get_variable("api_key") == API_KEY_VALUE
    assert backend.get_variable("added_later") is None

    api_key = dev.env_objects.get(key="api_key")
    env_object_services.env_object_update(env_object=api_key, actor=None, fields={"value": "changed"})
    _add_variable(dev, "added_later", "new")

    clock.advance(1.9)
    assert backend.get_variable("api_key") == API_KEY_VALUE  # still cached
    # "Not found" is not cached by default: a key that just arrived (e.g. migrated) is seen at once.
    assert backend.get_variable("added_later") == "new"
    clock.advance(0.2)
    assert backend.get_variable("api_key") == "changed"


def test_lookup_not_found_answers_are_cached_only_when_asked(live_server, token_file, clock, dev):
    backend = _backend(live_server, token_file, clock, mode="lookup", cache_ttl_seconds=60, not_found_ttl_seconds=60)
    assert backend.get_variable("added_later") is None
    _add_variable(dev, "added_later", "new")

    assert backend.get_variable("added_later") is None  # the miss is reused for not_found_ttl_seconds
    clock.advance(61)
    assert backend.get_variable("added_later") == "new"


def test_lookup_cache_serves_repeated_lookups_without_a_request(live_server, token_file, clock):
    backend = _backend(live_server, token_file, clock, mode="lookup", cache_ttl_seconds=60)
    calls = record_requests(backend.client)

    assert [backend.get_variable("region") for _ in range(100)] == ["eu-west-1"] * 100
    assert calls == [("/variables/region", 200)]


def test_lookups_share_one_kept_alive_connection(live_server, token_file):
    backend = _backend(live_server, token_file, mode="lookup", cache_ttl_seconds=0)
    opened = count_connections(backend.client)

    for _ in range(20):
        assert backend.get_variable("region") == "eu-west-1"
        assert backend.get_variable("missing") is None

    assert len(opened) == 1


def test_lookup_keys_are_url_encoded(live_server, token_file, backend_logs):
    backend = _backend(live_server, token_file, mode="lookup", cache_ttl_seconds=0)
    calls = record_requests(backend.client)

    assert backend.get_variable("key with spaces/and slash?#") is None
    assert calls == [("/variables/key%20with%20spaces%2Fand%20slash%3F%23", 404)]


def test_ttl_zero_disables_the_cache(live_server, token_file, dev):
    backend = _backend(live_server, token_file, mode="lookup", cache_ttl_seconds=0)
    assert backend.get_variable("api_key") == API_KEY_VALUE

    env_object_services.env_object_update(env_object=dev.env_objects.get(key="api_key"), actor=None, fields={"value": "now"})

    assert backend.get_variable("api_key") == "now"


def test_server_down_returns_none_and_warns_without_the_token(closed_port, token_file, dev_token, backend_logs):
    backend = EnvmanagerSecretsBackend(url=f"http://127.0.0.1:{closed_port}", token_file=str(token_file), timeout=1)

    assert backend.get_variable("region") is None
    assert backend.get_conn_value("warehouse") is None

    warnings = [r for r in backend_logs.records if r.levelname == "WARNING"]
    assert warnings and "falling back" in warnings[0].getMessage()
    assert dev_token.plain not in backend_logs.text


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_never_answers_times_out_and_falls_back(token_file, backend_logs, mode):
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        backend = EnvmanagerSecretsBackend(url=f"http://127.0.0.1:{port}", token_file=str(token_file), timeout=0.5,
                                           mode=mode)

        assert backend.get_variable("region") is None
    assert "timed out" in backend_logs.text.lower()


def test_after_a_failure_the_server_is_not_asked_again_for_a_moment(closed_port, token_file, clock, backend_logs):
    backend = EnvmanagerSecretsBackend(
        url=f"http://127.0.0.1:{closed_port}", token_file=str(token_file), retry_after_seconds=30, clock=clock
    )
    for _ in range(20):
        clock.advance(1)
        assert backend.get_variable("region") is None

    assert len([r for r in backend_logs.records if r.levelname == "WARNING"]) == 1


def test_a_value_read_before_an_outage_is_served_during_it(live_server, token_file, closed_port, clock, backend_logs):
    backend = _backend(live_server, token_file, clock, mode="lookup", cache_ttl_seconds=0.1, stale_if_error_seconds=60)
    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("missing") is None
    clock.advance(0.15)

    backend.client.set_url(f"http://127.0.0.1:{closed_port}")  # envmanager goes away

    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("missing") is None
    assert backend.get_variable("never_read") is None
    assert "serving the value read earlier" in backend_logs.text


def test_stale_values_are_not_served_when_disabled(live_server, token_file, closed_port, clock):
    backend = _backend(live_server, token_file, clock, mode="lookup", cache_ttl_seconds=0.1, stale_if_error_seconds=0)
    assert backend.get_variable("region") == "eu-west-1"
    clock.advance(0.15)
    backend.client.set_url(f"http://127.0.0.1:{closed_port}")

    assert backend.get_variable("region") is None


# --- Tokens and configuration ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_revoked_token_falls_back_with_a_warning_that_does_not_show_it(
    live_server, token_file, dev_token, backend_logs, mode
):
    token_services.api_token_revoke(api_token=dev_token.api_token, actor=None)
    backend = _backend(live_server, token_file, mode=mode)

    assert backend.get_variable("region") is None
    assert "refused" in backend_logs.text
    assert dev_token.plain not in backend_logs.text


def test_token_file_is_reread_when_the_token_is_rotated(live_server, token_file, dev, dev_token, tmp_path):
    backend = _backend(live_server, token_file, mode="lookup", cache_ttl_seconds=0)
    assert backend.get_variable("region") == "eu-west-1"

    new = token_services.api_token_create(actor=None, name="rotated", target=dev)
    token_services.api_token_revoke(api_token=dev_token.api_token, actor=None)
    replacement = tmp_path / "new-token"
    replacement.write_text(new.plain + "\n")
    os.replace(replacement, token_file)  # how a mounted secret is updated: a new file under the same name

    assert backend.get_variable("region") == "eu-west-1"


def test_missing_token_file_falls_back_with_a_warning(live_server, tmp_path, backend_logs):
    backend = EnvmanagerSecretsBackend(url=live_server.url, token_file=str(tmp_path / "absent"))

    assert backend.get_variable("region") is None
    assert "cannot read token_file" in backend_logs.text


def test_token_given_inline_works_and_never_shows_in_repr(live_server, dev_token):
    backend = EnvmanagerSecretsBackend(url=live_server.url + "/api/v1/", token=dev_token.plain)

    assert backend.get_variable("region") == "eu-west-1"
    assert dev_token.plain not in repr(backend)
    assert dev_token.plain not in repr(backend.client)
    assert backend.api_url == live_server.url + "/api/v1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "", "token": "t"}, "url"),
        ({"url": "ftp://x", "token": "t"}, "url"),
        ({"url": "http://x"}, "exactly one"),
        ({"url": "http://x", "token": "t", "token_file": "/f"}, "exactly one"),
        ({"url": "http://x", "token": "t", "mode": "magic"}, "mode"),
        ({"mode": "snapshot"}, "url"),
        ({"mode": "lookup", "snapshot_file": "/f"}, "url"),
    ],
)
def test_bad_configuration_is_refused_at_start(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EnvmanagerSecretsBackend(**kwargs)


def test_string_kwargs_from_airflow_environment_overrides_are_accepted(live_server, dev_token):
    """Airflow passes per-key overrides (AIRFLOW__SECRETS__BACKEND_KWARGS__TIMEOUT) as strings."""
    backend = EnvmanagerSecretsBackend(url=live_server.url, token=dev_token.plain, cache_ttl_seconds="2", timeout="4",
                                       refresh_seconds="7")

    assert (backend.cache_ttl, backend.timeout, backend.refresh) == (2.0, 4.0, 7.0)


PACKAGE_MODULES = sorted(p.stem for p in (REPO_ROOT / "envmanager_airflow").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", PACKAGE_MODULES)
def test_package_imports_without_django_or_anything_outside_the_standard_library(module):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        f"import envmanager_airflow.{module};"
        "third = sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'requests', 'urllib3', 'airflow', 'yaml'));"
        "print(third); assert not third, third;"
        "from envmanager_airflow.secrets import EnvmanagerSecretsBackend as B;"
        "assert B(url='http://x', token='t').get_config('k') is None"
    )
    result = subprocess.run([sys.executable, "-I", "-c", code, str(REPO_ROOT)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", PACKAGE_MODULES)
def test_package_is_python_3_9_syntax(module):
    """Airflow 2.10 still runs on Python 3.9: the package must parse there (run-time checks are below)."""
    source = (REPO_ROOT / "envmanager_airflow" / f"{module}.py").read_text()

    ast.parse(source, feature_version=(3, 9))


def test_snapshot_is_the_default_mode_and_names_its_reader(live_server, dev_token):
    """Issue #13: snapshot lookups are the default; the environment request names the process."""
    from envmanager.models import ApiTokenReader
    from envmanager_airflow.client import reader_id

    backend = EnvmanagerSecretsBackend(url=live_server.url, token=dev_token.plain)

    assert backend.mode == "snapshot"
    assert backend.get_variable("region") == "eu-west-1"
    assert backend.get_variable("not_in_envmanager") is None  # answered from memory too
    reader = ApiTokenReader.objects.get(token_id=dev_token.api_token.pk)
    assert reader.reader == reader_id() and reader.reader.split(":")[1] == str(os.getpid())
