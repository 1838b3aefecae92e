"""Export files are read back exactly by their real consumers: `airflow connections/variables import`
(Airflow 3.3 and 2.10), python-dotenv feeding Airflow's environment, and a Kubernetes Secret's entries
as Airflow's AIRFLOW_CONN_<ID> / AIRFLOW_VAR_<KEY> environment variables."""

import base64
import json

import pytest
import yaml
from dotenv import dotenv_values

from envmanager.selectors.environment import deployment_effective_environment
from envmanager.selectors.exports import ExportOptions
from envmanager.services import exports as export_services
from envmanager.services import links as link_services
from tests.airflow import airflow_venv
from tests.airflow.conftest import RESULT_PREFIX, snippet_result
from tests.factories import ConnectionFactory, EnvVarFactory, VariableFactory

pytestmark = pytest.mark.airflow

TRICKY_PASSWORD = "  p'a\"ss $HOME `id` \\back ✓ "
MULTILINE = "line one\nline 'two' with \"quotes\"\n$PATH and \\n literally\n"


@pytest.fixture
def tricky(workspace, dev):
    """Objects whose values stress quoting: quotes, `$`, backslashes, newlines, padding, unicode, JSON-looking text."""
    shared = ConnectionFactory(
        workspace=workspace, key="warehouse", linked_to_all=True,
        fields={"conn_type": "postgres", "host": "db.internal", "login": " etl", "password": "workspace-pw",
                "port": 5432, "schema": "analytics", "extra": '{ "sslmode": "require",  "options": {"a": [1, 2.50]} }',
                "description": "Main warehouse"},
    )
    link_services.link_set_override(env_object=shared, actor=None, target=dev,
                                    fields={"password": TRICKY_PASSWORD, "host": "db-dev.internal"})
    ConnectionFactory(workspace=workspace, deployment=dev, key="api.v2", fields={"conn_type": "http", "host": "api.example.com"})
    ConnectionFactory(workspace=workspace, deployment=dev, key="bare", fields={"conn_type": "generic"})
    VariableFactory(workspace=workspace, deployment=dev, key="multiline", is_secret=True, fields={"value": MULTILINE})
    VariableFactory(workspace=workspace, deployment=dev, key="json_text", fields={"value": '{"a": 1, "b": [true, null]}'})
    VariableFactory(workspace=workspace, deployment=dev, key="described",
                    fields={"value": "  v  ", "description": "What it is for"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="GREETING", fields={"value": "it's a \"test\" $USER ${X}"})
    return dev


def _expected(dev):
    entries = {(e.kind, e.key): e.reveal() for e in deployment_effective_environment(deployment=dev)}
    connections = {key: values for (kind, key), values in entries.items() if kind == "connection"}
    variables = {key: values for (kind, key), values in entries.items() if kind == "variable"}
    env = {key: values["value"] for (kind, key), values in entries.items() if kind == "env"}
    return connections, variables, env


def _as_airflow_reads_it(values: dict) -> dict:
    return {
        "conn_type": values["conn_type"], "description": values.get("description"), "login": values.get("login"),
        "password": values.get("password"), "host": values.get("host"), "port": values.get("port"),
        "schema": values.get("schema"), "extra": values.get("extra"),
    }


METASTORE_SNIPPET = f"""
import json
from sqlalchemy import select
from airflow.models import Connection, Variable
from airflow.utils.session import create_session

with create_session() as session:
    connections = {{
        c.conn_id: {{"conn_type": c.conn_type, "description": c.description, "login": c.login,
                     "password": c.password, "host": c.host, "port": c.port, "schema": c.schema,
                     "extra": c.extra}}
        for c in session.scalars(select(Connection))
    }}
    variables = {{v.key: {{"value": v.val, "description": v.description}} for v in session.scalars(select(Variable))}}
print({RESULT_PREFIX!r} + json.dumps({{"connections": connections, "variables": variables}}))
"""


def test_connections_and_variables_exports_import_into_airflow_and_round_trip(tricky, tmp_path, real_airflow):
    dev = tricky
    home = real_airflow.home(tmp_path / "airflow" / "home")
    env = airflow_venv.airflow_env(home)  # no envmanager backend: Airflow's own metastore only
    options = ExportOptions(airflow_version=real_airflow.major)
    files = {}
    for export_format in ("connections", "variables"):
        export = export_services.environment_export_record(
            actor=None, export_format=export_format, target=dev, options=options
        )
        files[export_format] = tmp_path / export.filename
        files[export_format].write_text(export.content, encoding="utf-8")

    imported_conns = airflow_venv.run_airflow(real_airflow.venv, ["connections", "import", str(files["connections"])], env)
    imported_vars = airflow_venv.run_airflow(real_airflow.venv, ["variables", "import", str(files["variables"])], env)
    stored = snippet_result(airflow_venv.run_python(real_airflow.venv, METASTORE_SNIPPET, env).stdout)

    assert "Could not import" not in imported_conns.stdout
    assert "3 of 3 variables successfully updated" in imported_vars.stdout
    connections, variables, _ = _expected(dev)
    assert stored["connections"] == {conn_id: _as_airflow_reads_it(values) for conn_id, values in connections.items()}
    assert stored["connections"]["warehouse"]["password"] == TRICKY_PASSWORD
    # Airflow 2's `variables import` reads bare values only: the description stays behind (the export says so).
    described = real_airflow.major >= 3
    assert stored["variables"] == {
        key: {"value": values["value"], "description": values.get("description") if described else None}
        for key, values in variables.items()
    }
    assert stored["variables"]["multiline"]["value"] == MULTILINE


ENV_SNIPPET = f"""
import json, os
from airflow.sdk import BaseHook, Variable

connections = {{}}
for conn_id in json.loads(os.environ["WANTED_CONNECTIONS"]):
    c = BaseHook.get_connection(conn_id)
    connections[conn_id] = {{"conn_type": c.conn_type, "description": c.description, "login": c.login,
                             "password": c.password, "host": c.host, "port": c.port, "schema": c.schema,
                             "extra": c.extra}}
variables = {{key: Variable.get(key) for key in json.loads(os.environ["WANTED_VARIABLES"])}}
print({RESULT_PREFIX!r} + json.dumps({{"connections": connections, "variables": variables,
                                       "greeting": os.environ.get("GREETING")}}))
"""


def _read_through_environment(venv, home, values: dict[str, str], *, connections, variables) -> dict:
    """Run Airflow with `values` as its environment variables; return what BaseHook / Variable.get see."""
    env = airflow_venv.airflow_env(home)
    env.update(values)
    env.update(WANTED_CONNECTIONS=json.dumps(sorted(connections)), WANTED_VARIABLES=json.dumps(sorted(variables)))
    return snippet_result(airflow_venv.run_python(venv, ENV_SNIPPET, env).stdout)


def test_dotenv_export_read_by_python_dotenv_reaches_airflow_exactly(tricky, tmp_path, airflow_venv_path, airflow_home):
    dev = tricky
    export = export_services.environment_export_record(actor=None, export_format="dotenv", target=dev)
    env_file = tmp_path / export.filename
    env_file.write_bytes(export.content.encode())

    # python-dotenv reads the file (as `dotenv run` would) and hands the values to Airflow's process.
    loaded = dotenv_values(env_file, interpolate=False)
    connections, variables, env_values = _expected(dev)
    got = _read_through_environment(
        airflow_venv_path, airflow_home, loaded, connections=["warehouse", "bare"], variables=variables
    )

    warehouse = connections["warehouse"]
    assert got["connections"]["warehouse"] == _as_airflow_reads_it(warehouse)
    assert got["connections"]["warehouse"]["password"] == TRICKY_PASSWORD
    assert got["connections"]["bare"]["conn_type"] == "generic"
    assert got["variables"] == {key: values["value"] for key, values in variables.items()}
    assert got["greeting"] == env_values["GREETING"]
    # 'api.v2' cannot be an environment variable name: left out, and the file says so.
    assert export.skipped and "'api.v2'" in export.skipped[0]


def test_k8s_secret_entries_are_what_airflow_reads_from_its_environment(tricky, airflow_venv_path, airflow_home):
    dev = tricky
    export = export_services.environment_export_record(
        actor=None, export_format="k8s-secret", target=dev, options=ExportOptions(include_airflow_objects=True)
    )
    manifest = yaml.safe_load(export.content)
    # What Kubernetes puts in the container's environment with envFrom.secretRef: the decoded bytes.
    values = {name: base64.b64decode(encoded).decode() for name, encoded in manifest["data"].items()}

    connections, variables, env_values = _expected(dev)
    got = _read_through_environment(
        airflow_venv_path, airflow_home, values, connections=["warehouse", "bare"], variables=variables
    )

    assert got["connections"]["warehouse"] == _as_airflow_reads_it(connections["warehouse"])
    assert got["variables"] == {key: values["value"] for key, values in variables.items()}
    assert got["greeting"] == env_values["GREETING"]
    assert [reason.split(":")[0] for reason in export.skipped] == ["Airflow connection 'api.v2'"]
