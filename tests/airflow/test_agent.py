"""The agent (`python -m envmanager_airflow.agent`) against a live envmanager: sync's files, run's process.

The agent runs as a real process where the behaviour is about processes (signals, exit codes,
restarts); the file contents are checked through `Syncer` directly.
"""

import json
import os
import selectors
import signal
import stat
import subprocess
import sys
import time

import pytest
import yaml
from dotenv import dotenv_values

from envmanager.services import env_objects as env_object_services
from envmanager_airflow import agent
from envmanager_airflow.client import ApiClient, TokenSource
from tests.airflow.conftest import API_KEY_VALUE, REPO_ROOT, WAREHOUSE_DEV_PASSWORD, record_requests
from tests.factories import EnvVarFactory, MetricsExportFactory

pytestmark = pytest.mark.usefixtures("delivered")
TRICKY = "  it's \"quoted\" $HOME `id` \\n\r\nline two\t ✓  "


@pytest.fixture
def env_vars(workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL", fields={"value": "debug"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="TRICKY", fields={"value": TRICKY})


@pytest.fixture
def metrics(workspace, dev):
    return MetricsExportFactory(
        workspace=workspace, deployment=dev, key="prometheus",
        fields={"endpoint": "https://prom.example.com/api/v1/write", "exporter_type": "prometheus_remote_write",
                "auth_type": "basic", "username": "airflow", "password": "prom-secret-1c9e", "labels": {"env": "dev"}},
    )


def _syncer(live_server, token_file, directory):
    client = ApiClient(live_server.url, TokenSource(token_file=str(token_file)))
    return agent.Syncer(client, str(directory), otel_host="127.0.0.1", otel_port=4318)


def _agent(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "envmanager_airflow.agent", *args], cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, **kwargs,
    )


def _wait_for(condition, *, timeout=20.0, message="condition"):
    """Poll `condition` until it holds (a real process works at its own pace); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")


# --- sync: the files -------------------------------------------------------------------------------


def test_sync_writes_airflows_files_the_env_file_and_the_snapshot(live_server, token_file, tmp_path, env_vars):
    _syncer(live_server, token_file, tmp_path).sync_once()

    connections = json.loads((tmp_path / "connections.json").read_text())
    assert connections == {"warehouse": {
        "conn_type": "postgres", "description": "Main warehouse", "login": "etl", "password": WAREHOUSE_DEV_PASSWORD,
        "host": "db-dev.internal", "port": 5432, "schema": "analytics", "extra": json.dumps({"sslmode": "require"}),
    }}
    assert json.loads((tmp_path / "variables.json").read_text()) == {"api_key": API_KEY_VALUE, "region": "eu-west-1"}
    assert dotenv_values(tmp_path / "env", interpolate=False) == {"LOG_LEVEL": "debug", "TRICKY": TRICKY}
    snapshot = json.loads((tmp_path / "environment.json").read_text())
    assert snapshot["etag"].startswith('"') and sum(len(by_key) for by_key in snapshot["entries"].values()) == 5
    assert snapshot["format"] == 3 and snapshot["entries"]["variable"]["region"] == {"value": "eu-west-1", "description": None}
    assert not (tmp_path / "otel-collector.yaml").exists()
    for name in ("connections.json", "variables.json", "env", "environment.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".envmanager-")]  # no temporary left


def test_an_unchanged_environment_is_revalidated_and_only_the_snapshot_is_touched(live_server, token_file, tmp_path):
    syncer = _syncer(live_server, token_file, tmp_path)
    syncer.sync_once()
    before = {p.name: p.stat() for p in tmp_path.iterdir()}
    os.utime(tmp_path / "environment.json", (1, 1))
    calls = record_requests(syncer.client)

    assert syncer.sync_once() is False

    assert calls == [("/environment", 304)]
    after = {p.name: p.stat() for p in tmp_path.iterdir()}
    assert {name: s.st_ino for name, s in after.items()} == {name: s.st_ino for name, s in before.items()}
    assert after["environment.json"].st_mtime > 1  # the backend reads its age from here


def test_a_change_rewrites_the_files(live_server, token_file, tmp_path, dev):
    syncer = _syncer(live_server, token_file, tmp_path)
    syncer.sync_once()
    env_object_services.env_object_create(
        workspace=dev.workspace, deployment=dev, actor=None, kind="variable", key="added", fields={"value": "new"}
    )

    assert syncer.sync_once() is True

    assert json.loads((tmp_path / "variables.json").read_text())["added"] == "new"


def test_a_restarted_agent_revalidates_what_it_wrote_and_restores_a_missing_file(live_server, token_file, tmp_path):
    _syncer(live_server, token_file, tmp_path).sync_once()
    (tmp_path / "variables.json").unlink()
    restarted = _syncer(live_server, token_file, tmp_path)
    calls = record_requests(restarted.client)

    restarted.sync_once()

    assert calls == [("/environment", 304)]
    assert json.loads((tmp_path / "variables.json").read_text())["region"] == "eu-west-1"


def test_metrics_exports_become_a_collector_config_and_airflows_metrics_settings(
    live_server, token_file, tmp_path, metrics
):
    syncer = _syncer(live_server, token_file, tmp_path)
    syncer.sync_once()

    config = yaml.safe_load((tmp_path / "otel-collector.yaml").read_text())
    assert config["exporters"]["prometheusremotewrite/prometheus"] == {
        "endpoint": "https://prom.example.com/api/v1/write", "external_labels": {"env": "dev"},
        "auth": {"authenticator": "basicauth/prometheus"},
    }
    assert config["extensions"]["basicauth/prometheus"] == {
        "client_auth": {"username": "airflow", "password": "prom-secret-1c9e"}
    }
    assert stat.S_IMODE((tmp_path / "otel-collector.yaml").stat().st_mode) == 0o600
    env = dotenv_values(tmp_path / "env", interpolate=False)
    assert env["AIRFLOW__METRICS__OTEL_ON"] == "True"
    assert (env["AIRFLOW__METRICS__OTEL_HOST"], env["AIRFLOW__METRICS__OTEL_PORT"]) == ("127.0.0.1", "4318")

    env_object_services.env_object_delete(env_object=metrics, actor=None)
    syncer.sync_once()
    assert not (tmp_path / "otel-collector.yaml").exists()  # no stale exporter after the last export goes
    assert "AIRFLOW__METRICS__OTEL_ON" not in dotenv_values(tmp_path / "env")


# --- sync: the process -----------------------------------------------------------------------------


def test_sync_once_writes_and_exits_zero(live_server, token_file, tmp_path, dev_token):
    process = _agent("sync", "--url", live_server.url, "--token-file", str(token_file), "--dir", str(tmp_path / "d"),
                     "--once")
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert json.loads((tmp_path / "d" / "variables.json").read_text())["region"] == "eu-west-1"
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700
    assert dev_token.plain not in out + err and API_KEY_VALUE not in out + err


def test_sync_once_fails_with_a_message_when_envmanager_cannot_be_read(token_file, tmp_path, dev_token):
    process = _agent("sync", "--url", "http://127.0.0.1:9", "--token-file", str(token_file), "--dir", str(tmp_path),
                     "--once", "--timeout", "1")
    _, err = process.communicate(timeout=60)

    assert process.returncode == 1
    assert "cannot read the environment" in err and dev_token.plain not in err


def test_sync_keeps_the_files_current_and_stops_cleanly_on_sigterm(live_server, token_file, tmp_path, dev):
    process = _agent("sync", "--url", live_server.url, "--token-file", str(token_file), "--dir", str(tmp_path),
                     "--interval", "0.2")
    try:
        variables = tmp_path / "variables.json"
        _wait_for(variables.exists, message="the first sync")
        env_object_services.env_object_create(
            workspace=dev.workspace, deployment=dev, actor=None, kind="variable", key="added", fields={"value": "new"}
        )
        _wait_for(lambda: "added" in json.loads(variables.read_text()), message="the change to arrive")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)

    assert process.returncode == 0, err
    assert "stopped" in err


def test_sync_keeps_the_last_good_files_while_envmanager_is_down(live_server, token_file, tmp_path, dev_token):
    _syncer(live_server, token_file, tmp_path).sync_once()
    good = (tmp_path / "variables.json").read_text()
    process = _agent("sync", "--url", "http://127.0.0.1:9", "--token-file", str(token_file), "--dir", str(tmp_path),
                     "--interval", "0.1", "--timeout", "0.5")
    try:
        logged = _read_stderr_until(process, "keeping the last good files")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)

    assert process.returncode == 0
    assert dev_token.plain not in logged + err
    assert (tmp_path / "variables.json").read_text() == good


def _read_stderr_until(process, text: str, *, timeout: float = 20.0) -> str:
    """Return what the process wrote to stderr up to the line holding `text`; fail after `timeout`."""
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        if time.monotonic() > deadline or process.poll() is not None:
            raise AssertionError(f"{text!r} not logged; stderr so far:\n{seen}")
        if selector.select(timeout=0.2):
            seen += process.stderr.readline()
    return seen


# --- run -------------------------------------------------------------------------------------------

PRINT_ENV = "import os, sys; print(os.environ.get('LOG_LEVEL'), repr(os.environ.get('TRICKY'))); sys.exit(7)"


def test_run_starts_the_command_with_the_env_vars_and_returns_its_exit_status(live_server, token_file, env_vars):
    process = _agent("run", "--url", live_server.url, "--token-file", str(token_file), "--",
                     sys.executable, "-c", PRINT_ENV)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 7, err
    assert out.strip() == f"debug {TRICKY!r}"


def test_run_forwards_signals_to_the_command(live_server, token_file, tmp_path, env_vars):
    marker = tmp_path / "got-sigterm"
    child = (
        "import signal, sys, time, pathlib\n"
        f"def stop(*_): pathlib.Path({str(marker)!r}).write_text('yes'); sys.exit(3)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        f"pathlib.Path({str(tmp_path / 'ready')!r}).write_text('1')\n"
        "while True: time.sleep(0.05)\n"
    )
    process = _agent("run", "--url", live_server.url, "--token-file", str(token_file), "--", sys.executable, "-c", child)
    _wait_for((tmp_path / "ready").exists, message="the command to start")

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)

    assert marker.read_text() == "yes"
    assert process.returncode == 3, err


def test_run_watch_restarts_the_command_when_an_env_var_changes(live_server, token_file, tmp_path, dev, env_vars):
    seen = tmp_path / "seen"
    child = (
        "import os, time, pathlib\n"
        f"with open({str(seen)!r}, 'a') as f: f.write(os.environ['LOG_LEVEL'] + '\\n')\n"
        "while True: time.sleep(0.05)\n"
    )
    process = _agent("run", "--url", live_server.url, "--token-file", str(token_file), "--watch", "--interval", "0.2",
                     "--grace", "5", "--", sys.executable, "-c", child)
    try:
        _wait_for(lambda: seen.exists() and seen.read_text() == "debug\n", message="the first start")
        log_level = dev.env_objects.get(key="LOG_LEVEL")
        env_object_services.env_object_update(env_object=log_level, actor=None, fields={"value": "info"})
        _wait_for(lambda: seen.read_text() == "debug\ninfo\n", message="the restart with the new value")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)

    assert "environment changed (LOG_LEVEL); restarting" in err
    assert process.returncode == 128 + signal.SIGTERM  # the child died of the forwarded SIGTERM


def test_run_can_read_the_snapshot_file_instead_of_the_api(live_server, token_file, tmp_path, env_vars):
    _syncer(live_server, token_file, tmp_path).sync_once()
    process = _agent("run", "--snapshot-file", str(tmp_path / "environment.json"), "--",
                     sys.executable, "-c", PRINT_ENV)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 7, err
    assert out.startswith("debug ")


def test_run_adds_airflows_metrics_settings_when_there_are_metrics_exports(live_server, token_file, metrics):
    code = "import os; print(os.environ['AIRFLOW__METRICS__OTEL_ON'], os.environ['AIRFLOW__METRICS__OTEL_PORT'])"
    process = _agent("run", "--url", live_server.url, "--token-file", str(token_file), "--otel-port", "14318", "--",
                     sys.executable, "-c", code)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, err
    assert out.split() == ["True", "14318"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--url", "http://127.0.0.1:9", "--token-file", "/nonexistent"], "give the command to run"),
        (["run", "--", "true"], "give --url and --token-file, or --snapshot-file"),
        (["run", "--url", "http://127.0.0.1:9", "--token-file", "/nonexistent", "--", "true"], "cannot read the environment"),
        (["sync", "--url", "ftp://x", "--token-file", "/f", "--dir", "/tmp/x", "--once"], "http(s)://"),
    ],
)
def test_bad_invocations_fail_with_a_message(args, message):
    process = _agent(*args)
    _, err = process.communicate(timeout=60)

    assert process.returncode in (1, 2)
    assert message in err
