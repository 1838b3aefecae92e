"""A real Airflow 3 (its own cached venv) resolves connections and variables through envmanager.

envmanager runs on loopback (live_server); Airflow is configured only through
AIRFLOW__SECRETS__BACKEND / AIRFLOW__SECRETS__BACKEND_KWARGS, with AIRFLOW_HOME and its SQLite
metadata database in a temporary folder.
"""

import json
import subprocess
import time

import pytest

from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.airflow import airflow_venv
from tests.airflow.conftest import (
    API_KEY_VALUE,
    RESULT_PREFIX,
    WAREHOUSE_DEV_PASSWORD,
    backend_env,
    snippet_result,
)

pytestmark = [pytest.mark.airflow, pytest.mark.usefixtures("delivered")]

READ_SNIPPET = f"""
import json
from airflow.sdk import BaseHook, Variable
from airflow.hooks.base import BaseHook as LegacyBaseHook  # the Airflow 2.x import path, still served
from airflow.models import Variable as LegacyVariable

conn = BaseHook.get_connection("warehouse")
legacy = LegacyBaseHook.get_connection("warehouse")
print({RESULT_PREFIX!r} + json.dumps({{
    "conn": {{"conn_type": conn.conn_type, "host": conn.host, "login": conn.login, "password": conn.password,
              "port": conn.port, "schema": conn.schema, "extra": conn.extra_dejson, "description": conn.description}},
    "legacy_host": legacy.host,
    "region": Variable.get("region"),
    "api_key": Variable.get("api_key"),
    "legacy_api_key": LegacyVariable.get("api_key"),
    "env_only": Variable.get("env_only"),
    "missing": Variable.get("missing_everywhere", default="the default"),
}}))
"""


def test_airflow_cli_and_dags_read_envmanager_values_including_an_override(
    live_server, token_file, airflow_venv_path, airflow_home, backend_package
):
    env = backend_env(airflow_home, backend_package, url=live_server.url, token_file=token_file)
    env["AIRFLOW_VAR_ENV_ONLY"] = "from the environment"
    airflow_venv.run_airflow(
        airflow_venv_path, ["connections", "add", "metastore_only", "--conn-type", "http", "--conn-host", "ms.example"], env
    )

    shown = airflow_venv.run_airflow(airflow_venv_path, ["connections", "get", "warehouse", "-o", "json"], env)
    fallback = airflow_venv.run_airflow(airflow_venv_path, ["connections", "get", "metastore_only", "-o", "json"], env)
    variable = airflow_venv.run_airflow(airflow_venv_path, ["variables", "get", "region"], env)
    snippet = airflow_venv.run_python(airflow_venv_path, READ_SNIPPET, env)

    [conn] = json.loads(shown.stdout[shown.stdout.index("["):])
    assert conn["host"] == "db-dev.internal"  # dev's override of the Workspace object
    assert conn["password"] == WAREHOUSE_DEV_PASSWORD
    assert (conn["conn_type"], conn["login"], str(conn["port"]), conn["schema"]) == ("postgres", "etl", "5432", "analytics")
    assert conn["extra_dejson"] == {"sslmode": "require"}
    # Keys envmanager does not have fall through to Airflow's metastore and environment variables.
    assert json.loads(fallback.stdout[fallback.stdout.index("["):])[0]["host"] == "ms.example"
    assert variable.stdout.strip().splitlines()[-1] == "eu-west-1"
    result = snippet_result(snippet.stdout)
    assert result["conn"] == {
        "conn_type": "postgres", "host": "db-dev.internal", "login": "etl", "password": WAREHOUSE_DEV_PASSWORD,
        "port": 5432, "schema": "analytics", "extra": {"sslmode": "require"}, "description": "Main warehouse",
    }
    assert result["legacy_host"] == "db-dev.internal"
    assert (result["region"], result["api_key"], result["legacy_api_key"]) == ("eu-west-1", API_KEY_VALUE, API_KEY_VALUE)
    assert result["env_only"] == "from the environment"
    assert result["missing"] == "the default"


def test_airflow_falls_back_when_envmanager_is_down(airflow_venv_path, airflow_home, backend_package, token_file, dev_token):
    env = backend_env(airflow_home, backend_package, url="http://127.0.0.1:9", token_file=token_file, timeout=1)
    env["AIRFLOW_VAR_REGION"] = "from the environment"

    result = airflow_venv.run_python(
        airflow_venv_path,
        f"import json; from airflow.sdk import Variable; print({RESULT_PREFIX!r} + json.dumps(Variable.get('region')))",
        env,
    )

    assert snippet_result(result.stdout) == "from the environment"
    output = result.stdout + result.stderr
    # Snapshot mode (the default) cannot refresh the environment; lookup mode cannot read the variable.
    assert "envmanager secrets backend: cannot refresh the environment" in output and "falling back" in output
    assert dev_token.plain not in output


WATCH_SNIPPET = f"""
import json, sys, time
from airflow.sdk import BaseHook, Variable

print({RESULT_PREFIX!r} + json.dumps({{"region": Variable.get("region"),
                                     "host": BaseHook.get_connection("warehouse").host}}), flush=True)
sys.stdin.readline()  # the test changes the values in envmanager, then says go
started = time.monotonic()
while time.monotonic() - started < 20:
    region, host = Variable.get("region"), BaseHook.get_connection("warehouse").host
    if region != "eu-west-1" and host != "db-dev.internal":
        break
    time.sleep(0.1)
print({RESULT_PREFIX!r} + json.dumps({{"region": region, "host": host, "seconds": time.monotonic() - started}}), flush=True)
"""


def test_a_change_in_envmanager_reaches_a_running_airflow_process_within_the_ttl(
    live_server, token_file, airflow_venv_path, airflow_home, backend_package, dev, delivered
):
    ttl = 2
    env = backend_env(airflow_home, backend_package, url=live_server.url, token_file=token_file, ttl=ttl, mode="lookup")
    process = subprocess.Popen(
        [str(airflow_venv.venv_bin(airflow_venv_path, "python")), "-c", WATCH_SNIPPET],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        before = _next_result(process)
        assert before == {"region": "eu-west-1", "host": "db-dev.internal"}

        # A variable changed on the Workspace, and a connection override changed for dev.
        env_object_services.env_object_update(env_object=delivered["region"], actor=None, fields={"value": "eu-north-1"})
        link_services.link_set_override(
            env_object=delivered["warehouse"], actor=None, deployment=dev, fields={"host": "db-dev-2.internal"}
        )
        process.stdin.write("go\n")
        process.stdin.flush()
        after = _next_result(process)
    finally:
        process.kill()
        process.wait(timeout=10)

    assert (after["region"], after["host"]) == ("eu-north-1", "db-dev-2.internal")
    assert after["seconds"] <= ttl + 1.0


def _next_result(process, timeout: float = 120):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    raise AssertionError("the Airflow process printed no result:\n" + "".join(seen[-40:]))
