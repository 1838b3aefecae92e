"""Export files are accepted by a real Airflow (`airflow connections/variables import`, .env) and round-trip."""

import subprocess

import pytest

from envmanager.selectors.environment import deployment_effective_environment
from envmanager.services import exports as export_services
from envmanager.services import links as link_services
from tests.airflow import airflow_venv
from tests.airflow.conftest import RESULT_PREFIX, snippet_result
from tests.factories import ConnectionFactory, EnvVarFactory, VariableFactory

pytestmark = pytest.mark.airflow

TRICKY_PASSWORD = "p'a\"ss $HOME `id` \\back ✓"
MULTILINE = "line one\nline 'two' with \"quotes\"\n$PATH and \\n literally"


@pytest.fixture
def tricky(workspace, dev):
    """Objects whose values stress quoting: quotes, `$`, backslashes, newlines, unicode, JSON-looking text."""
    shared = ConnectionFactory(
        workspace=workspace, key="warehouse", linked_to_all=True,
        fields={"conn_type": "postgres", "host": "db.internal", "login": "etl", "password": "workspace-pw",
                "port": 5432, "schema": "analytics", "extra": {"sslmode": "require", "options": {"a": [1, 2]}},
                "description": "Main warehouse"},
    )
    link_services.link_set_override(env_object=shared, actor=None, deployment=dev,
                                    fields={"password": TRICKY_PASSWORD, "host": "db-dev.internal"})
    ConnectionFactory(workspace=workspace, deployment=dev, key="api.v2", fields={"conn_type": "http", "host": "api.example.com"})
    ConnectionFactory(workspace=workspace, deployment=dev, key="bare", fields={"conn_type": "generic"})
    VariableFactory(workspace=workspace, deployment=dev, key="multiline", is_secret=True, fields={"value": MULTILINE})
    VariableFactory(workspace=workspace, deployment=dev, key="json_text", fields={"value": '{"a": 1, "b": [true, null]}'})
    VariableFactory(workspace=workspace, deployment=dev, key="described",
                    fields={"value": "v", "description": "What it is for"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="GREETING", fields={"value": "it's a \"test\" $USER"})
    return dev


def _expected(dev):
    entries = {(e.kind, e.key): e.reveal() for e in deployment_effective_environment(deployment=dev)}
    connections = {key: values for (kind, key), values in entries.items() if kind == "connection"}
    variables = {key: values for (kind, key), values in entries.items() if kind == "variable"}
    env = {key: values["value"] for (kind, key), values in entries.items() if kind == "env"}
    return connections, variables, env


METASTORE_SNIPPET = f"""
import json
from sqlalchemy import select
from airflow.models import Connection, Variable
from airflow.utils.session import create_session

with create_session() as session:
    connections = {{
        c.conn_id: {{"conn_type": c.conn_type, "description": c.description, "login": c.login,
                     "password": c.password, "host": c.host, "port": c.port, "schema": c.schema,
                     "extra": c.extra_dejson}}
        for c in session.scalars(select(Connection))
    }}
    variables = {{v.key: {{"value": v.val, "description": v.description}} for v in session.scalars(select(Variable))}}
print({RESULT_PREFIX!r} + json.dumps({{"connections": connections, "variables": variables}}))
"""


def test_connections_and_variables_exports_import_into_airflow_and_round_trip(
    tricky, tmp_path, airflow_venv_path, airflow_home
):
    dev = tricky
    env = airflow_venv.airflow_env(airflow_home)  # no envmanager backend: Airflow's own metastore only
    files = {}
    for export_format in ("connections", "variables"):
        export = export_services.environment_export_record(actor=None, export_format=export_format, deployment=dev)
        files[export_format] = tmp_path / export.filename
        files[export_format].write_text(export.content)

    imported_conns = airflow_venv.run_airflow(airflow_venv_path, ["connections", "import", str(files["connections"])], env)
    imported_vars = airflow_venv.run_airflow(airflow_venv_path, ["variables", "import", str(files["variables"])], env)
    stored = snippet_result(airflow_venv.run_python(airflow_venv_path, METASTORE_SNIPPET, env).stdout)

    assert "Could not import" not in imported_conns.stdout
    assert "3 of 3 variables successfully updated" in imported_vars.stdout
    connections, variables, _ = _expected(dev)
    assert set(stored["connections"]) == {"warehouse", "api.v2", "bare"}
    for conn_id, values in connections.items():
        got = stored["connections"][conn_id]
        assert got == {
            "conn_type": values["conn_type"], "description": values.get("description"), "login": values.get("login"),
            "password": values.get("password"), "host": values.get("host"), "port": values.get("port"),
            "schema": values.get("schema"), "extra": values.get("extra") or {},
        }, conn_id
    assert stored["connections"]["warehouse"]["password"] == TRICKY_PASSWORD
    assert stored["variables"] == {
        key: {"value": values["value"], "description": values.get("description")} for key, values in variables.items()
    }
    assert stored["variables"]["multiline"]["value"] == MULTILINE


ENV_SNIPPET = f"""
import json, os
from airflow.sdk import BaseHook, Variable

conn = BaseHook.get_connection("warehouse")
bare = BaseHook.get_connection("bare")
print({RESULT_PREFIX!r} + json.dumps({{
    "warehouse": {{"conn_type": conn.conn_type, "description": conn.description, "login": conn.login,
                   "password": conn.password, "host": conn.host, "port": conn.port, "schema": conn.schema,
                   "extra": conn.extra_dejson}},
    "bare_type": bare.conn_type,
    "variables": {{key: Variable.get(key) for key in ("multiline", "json_text", "described")}},
    "greeting": os.environ.get("GREETING"),
}}))
"""


def test_dotenv_export_loads_into_airflow_through_environment_variables(tricky, tmp_path, airflow_venv_path, airflow_home):
    dev = tricky
    export = export_services.environment_export_record(actor=None, export_format="dotenv", deployment=dev)
    env_file = tmp_path / export.filename
    env_file.write_text(export.content)
    env = airflow_venv.airflow_env(airflow_home)
    python = str(airflow_venv.venv_bin(airflow_venv_path, "python"))

    # `set -a; . file` is how shells, systemd-less containers and CI load a .env file.
    result = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; set +a; exec "$2" -c "$3"', "_", str(env_file), python, ENV_SNIPPET],
        env=env, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    got = snippet_result(result.stdout)
    connections, variables, env_values = _expected(dev)
    warehouse = connections["warehouse"]
    assert got["warehouse"] == {
        "conn_type": "postgres", "description": warehouse["description"], "login": "etl",
        "password": TRICKY_PASSWORD, "host": "db-dev.internal", "port": 5432, "schema": "analytics",
        "extra": warehouse["extra"],
    }
    assert got["bare_type"] == "generic"
    assert got["variables"] == {key: variables[key]["value"] for key in ("multiline", "json_text", "described")}
    assert got["greeting"] == env_values["GREETING"]
    # 'api.v2' cannot be an environment variable name: left out, and the file says so.
    assert export.skipped and "'api.v2'" in export.skipped[0]
