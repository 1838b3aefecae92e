"""The agent with a real Airflow 3 (its own cached venv), the agent itself run by that venv's Python.

- Airflow's built-in LocalFilesystemBackend reads the agent's connections.json / variables.json;
- envmanager's backend reads the agent's snapshot file (no URL, no token, no request);
- an Airflow scheduler started through `agent run` sends its OTLP metrics to the collector address the
  agent gave it (a test receiver stands in for the collector and decodes them with opentelemetry-proto).
"""

import http.server
import json
import signal
import subprocess
import threading
import time

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from tests.airflow import airflow_venv
from tests.airflow.conftest import API_KEY_VALUE, RESULT_PREFIX, WAREHOUSE_DEV_PASSWORD, snippet_result
from tests.factories import EnvVarFactory, MetricsExportFactory

pytestmark = [pytest.mark.airflow, pytest.mark.usefixtures("delivered")]

READ_SNIPPET = f"""
import json
from airflow.sdk import BaseHook, Variable

conn = BaseHook.get_connection("warehouse")
print({RESULT_PREFIX!r} + json.dumps({{
    "host": conn.host, "password": conn.password, "port": conn.port, "extra": conn.extra_dejson,
    "region": Variable.get("region"), "api_key": Variable.get("api_key"),
    "missing": Variable.get("missing_everywhere", default="the default"),
}}))
"""
EXPECTED = {
    "host": "db-dev.internal", "password": WAREHOUSE_DEV_PASSWORD, "port": 5432, "extra": {"sslmode": "require"},
    "region": "eu-west-1", "api_key": API_KEY_VALUE, "missing": "the default",
}


def _agent_sync_once(venv, env, *, url, token_file, directory):
    """Run `agent sync --once` with the Airflow venv's own Python (where the agent really runs)."""
    result = subprocess.run(
        [str(airflow_venv.venv_bin(venv, "python")), "-m", "envmanager_airflow.agent", "sync", "--url", url,
         "--token-file", str(token_file), "--dir", str(directory), "--once"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_airflows_own_file_backend_reads_the_agents_files(
    live_server, token_file, airflow_venv_path, airflow_home, backend_package, tmp_path
):
    files = tmp_path / "envmanager"
    plain = airflow_venv.airflow_env(airflow_home, pythonpath=[backend_package])
    _agent_sync_once(airflow_venv_path, plain, url=live_server.url, token_file=token_file, directory=files)
    env = airflow_venv.airflow_env(airflow_home, extra={
        "AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({
            "connections_file_path": str(files / "connections.json"),
            "variables_file_path": str(files / "variables.json"),
        }),
    })  # no envmanager code on this worker's path at all

    assert snippet_result(airflow_venv.run_python(airflow_venv_path, READ_SNIPPET, env).stdout) == EXPECTED


def test_envmanagers_backend_reads_the_agents_snapshot_file_with_no_request(
    live_server, token_file, airflow_venv_path, airflow_home, backend_package, tmp_path
):
    files = tmp_path / "envmanager"
    plain = airflow_venv.airflow_env(airflow_home, pythonpath=[backend_package])
    _agent_sync_once(airflow_venv_path, plain, url=live_server.url, token_file=token_file, directory=files)
    env = airflow_venv.airflow_env(airflow_home, pythonpath=[backend_package], extra={
        "AIRFLOW__SECRETS__BACKEND": "envmanager_airflow.secrets.EnvmanagerSecretsBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(
            {"mode": "snapshot", "snapshot_file": str(files / "environment.json")}
        ),
    })

    assert snippet_result(airflow_venv.run_python(airflow_venv_path, READ_SNIPPET, env).stdout) == EXPECTED


class _OtlpReceiver(http.server.ThreadingHTTPServer):
    """Stands in for the collector's otlp receiver: decodes every OTLP/HTTP metrics request."""

    daemon_threads = True

    def __init__(self):
        self.metric_names: set[str] = set()
        self.services: set[str] = set()
        self.received = threading.Event()
        super().__init__(("127.0.0.1", 0), _OtlpHandler)


class _OtlpHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/v1/metrics":
            request = ExportMetricsServiceRequest.FromString(body)
            for resource_metrics in request.resource_metrics:
                for attribute in resource_metrics.resource.attributes:
                    if attribute.key == "service.name":
                        self.server.services.add(attribute.value.string_value)
                for scope in resource_metrics.scope_metrics:
                    self.server.metric_names.update(metric.name for metric in scope.metrics)
            self.server.received.set()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def otlp_receiver():
    receiver = _OtlpReceiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.shutdown()
    receiver.server_close()


def test_a_scheduler_started_through_agent_run_sends_its_metrics_where_the_agent_says(
    live_server, token_file, airflow_venv_path, airflow_home, backend_package, otlp_receiver, workspace, dev
):
    MetricsExportFactory(
        workspace=workspace, deployment=dev, key="prometheus",
        fields={"endpoint": "https://prom.example.com/api/v1/write", "exporter_type": "prometheus_remote_write"},
    )
    EnvVarFactory(workspace=workspace, deployment=dev, key="AIRFLOW__METRICS__OTEL_INTERVAL_MILLISECONDS",
                  fields={"value": "500"})  # an env var from envmanager, like any other: export quickly
    env = airflow_venv.airflow_env(airflow_home, pythonpath=[backend_package])
    port = otlp_receiver.server_address[1]
    agent = subprocess.Popen(
        [str(airflow_venv.venv_bin(airflow_venv_path, "python")), "-m", "envmanager_airflow.agent", "run",
         "--url", live_server.url, "--token-file", str(token_file), "--otel-port", str(port), "--",
         str(airflow_venv.venv_bin(airflow_venv_path, "airflow")), "scheduler"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any("scheduler" in name for name in otlp_receiver.metric_names):
            assert agent.poll() is None, agent.stderr.read()[-3000:]
            assert time.monotonic() < deadline, f"no scheduler metric; got {sorted(otlp_receiver.metric_names)}"
            otlp_receiver.received.wait(1)
            otlp_receiver.received.clear()
    finally:
        agent.send_signal(signal.SIGTERM)  # forwarded to the scheduler, which shuts down
        try:
            agent.wait(timeout=60)
        except subprocess.TimeoutExpired:
            agent.kill()
            raise

    assert any(name.startswith("airflow.") for name in otlp_receiver.metric_names)
    assert agent.returncode in (0, 128 + signal.SIGTERM)
