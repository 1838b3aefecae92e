"""What Airflow stores is what Airflow reads back after Migrate from Airflow, byte for byte (Airflow 3.3 and 2.10).

A metadata database made by each version's own `airflow` CLI (`connections add`, `variables import`;
and, for connection ids its CLI refuses but its model stores, its `Connection` model) holds padded passwords,
a multi-line variable and Unicode keys. After the migration Airflow's rows are gone and `BaseHook.get_connection` /
`Variable.get`, now answered by envmanager's secrets backend, return exactly what Airflow had.
"""

import json
import sqlite3

import pytest
from cryptography.fernet import Fernet

from envmanager.kinds import Kind
from envmanager.selectors.migration import MigrationStatus, airflow_migration_plan
from envmanager.services.migration import airflow_migration_apply
from envmanager.services.workspaces import deployment_update
from tests.airflow import airflow_venv
from tests.airflow.conftest import RESULT_PREFIX, backend_env, snippet_result

pytestmark = pytest.mark.airflow

FERNET_KEY = Fernet.generate_key().decode()

CLI_CONNECTIONS = {
    "padded_db": [
        "--conn-type", "postgres", "--conn-host", " db.internal ", "--conn-login", " lead",
        "--conn-password", "  spaced pw  ", "--conn-port", "5432", "--conn-schema", "analytics\t",
        "--conn-description", "  two\nlines\n", "--conn-extra", '{ "b": 1,  "a": "ä\\n", "n": 1.50 }',
    ],
}
CLI_VARIABLES = {
    "multi_line": "first line\n  second line\n\n",
    "padded": "  x  ",
    "ключ_переменной": "значение ✓",
    "shell_like": "it's \"$HOME\" `id` \\back ${NOT_EXPANDED}",
}
# Ids Airflow's CLI refuses (it checks KEY_REGEX) but its Connection model stores (RE_SANITIZE_CONN_ID).
MODEL_CONNECTIONS = {
    "odd:conn#id(1)/x": {"conn_type": "http", "host": "api.internal", "password": " p\tw "},
}
# Airflow 3 only: Airflow 2.10 compiles RE_SANITIZE_CONN_ID with re2, whose \w is ASCII.
UNICODE_CONNECTIONS = {"соединение_бд": ["--conn-type", "postgres", "--conn-password", "пароль "]}

STORED_SNIPPET = f"""
import json
from sqlalchemy import select
from airflow.models import Connection, Variable
from airflow.utils.session import create_session

with create_session() as session:
    connections = {{
        c.conn_id: {{"conn_type": c.conn_type, "description": c.description, "host": c.host, "login": c.login,
                     "password": c.password, "schema": c.schema, "port": c.port, "extra": c.extra}}
        for c in session.scalars(select(Connection))
    }}
    variables = {{v.key: v.val for v in session.scalars(select(Variable))}}
print({RESULT_PREFIX!r} + json.dumps({{"connections": connections, "variables": variables}}))
"""

ADD_MODEL_SNIPPET = """
import json
from airflow.models import Connection
from airflow.utils.session import create_session

with create_session() as session:
    for conn_id, fields in json.loads({rows!r}).items():
        session.add(Connection(conn_id=conn_id, **fields))
"""

SERVED_SNIPPET = """
import json
{imports}

wanted = json.loads({wanted!r})
connections = {{}}
for conn_id in wanted["connections"]:
    c = BaseHook.get_connection(conn_id)
    connections[conn_id] = {{"conn_type": c.conn_type, "description": c.description, "host": c.host,
                             "login": c.login, "password": c.password, "schema": c.schema, "port": c.port,
                             "extra": c.extra}}
variables = {{key: Variable.get(key) for key in wanted["variables"]}}
print({prefix!r} + json.dumps({{"connections": connections, "variables": variables}}))
"""


def _metastore_keys(db_path):
    with sqlite3.connect(db_path) as conn:
        return (
            {row[0] for row in conn.execute("SELECT conn_id FROM connection")},
            {row[0] for row in conn.execute('SELECT "key" FROM variable')},
        )


def test_values_made_by_the_airflow_cli_come_back_identical_through_the_backend(
    real_airflow, tmp_path, dev, live_server, token_file, backend_package
):
    home = real_airflow.home(tmp_path / "airflow" / "home")
    env = airflow_venv.airflow_env(home, extra={"AIRFLOW__CORE__FERNET_KEY": FERNET_KEY})
    run = lambda *args: airflow_venv.run_airflow(real_airflow.venv, list(args), env)  # noqa: E731
    connections = dict(CLI_CONNECTIONS, **(UNICODE_CONNECTIONS if real_airflow.major >= 3 else {}))
    for conn_id, options in connections.items():
        run("connections", "add", conn_id, *options)
    variables_file = tmp_path / "variables.json"  # one CLI call for all of them: each costs seconds
    variables_file.write_text(json.dumps(CLI_VARIABLES), encoding="utf-8")
    run("variables", "import", str(variables_file))
    airflow_venv.run_python(real_airflow.venv, ADD_MODEL_SNIPPET.format(rows=json.dumps(MODEL_CONNECTIONS)), env)
    stored = snippet_result(airflow_venv.run_python(real_airflow.venv, STORED_SNIPPET, env).stdout)
    assert set(stored["connections"]) == set(connections) | set(MODEL_CONNECTIONS)
    assert stored["variables"] == CLI_VARIABLES  # Airflow keeps them as given; so must envmanager
    assert stored["connections"]["padded_db"]["password"] == "  spaced pw  "

    deployment = deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{home / 'airflow.db'}", fernet_keys=FERNET_KEY)
    for kind in (Kind.CONNECTION, Kind.VARIABLE):
        plan = airflow_migration_plan(deployment=deployment, kind=kind)
        assert {item.key: (item.status, item.reason) for item in plan.items} == {
            item.key: (MigrationStatus.NEW, None) for item in plan.items
        }
        result = airflow_migration_apply(
            deployment=deployment, kind=kind, source_ids=[item.source_id for item in plan.items], actor=None
        )
        assert (result.failed, result.skipped) == ([], [])
    assert _metastore_keys(home / "airflow.db") == (set(), set())  # only envmanager can answer now

    served_env = backend_env(home, backend_package, url=live_server.url, token_file=token_file)
    served_env["AIRFLOW__CORE__FERNET_KEY"] = FERNET_KEY
    wanted = json.dumps({"connections": sorted(stored["connections"]), "variables": sorted(stored["variables"])})
    snippet = SERVED_SNIPPET.format(imports=real_airflow.hook_imports, wanted=wanted, prefix=RESULT_PREFIX)
    served = snippet_result(airflow_venv.run_python(real_airflow.venv, snippet, served_env).stdout)

    assert served == stored


def test_team_scoped_rows_stay_in_airflow_3(airflow_venv_path, airflow_home, dev, tmp_path):
    """A variable limited to one team (Airflow 3 multi-team) is not offered: every team would receive it."""
    env = airflow_venv.airflow_env(airflow_home, extra={"AIRFLOW__CORE__FERNET_KEY": FERNET_KEY})
    variables_file = tmp_path / "variables.json"
    variables_file.write_text(json.dumps({"team_only": "t", "everyone": "e"}))
    airflow_venv.run_airflow(airflow_venv_path, ["variables", "import", str(variables_file)], env)
    db_path = airflow_home / "airflow.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO team (name) VALUES ('analytics')")
        conn.execute("UPDATE variable SET team_name = 'analytics' WHERE key = 'team_only'")
    deployment = deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{db_path}", fernet_keys=FERNET_KEY)

    items = {item.key: item for item in airflow_migration_plan(deployment=deployment, kind=Kind.VARIABLE).items}
    result = airflow_migration_apply(
        deployment=deployment, kind=Kind.VARIABLE, source_ids=[item.source_id for item in items.values()], actor=None
    )

    assert items["team_only"].status == MigrationStatus.CANNOT and "team-scoped" in items["team_only"].reason
    assert items["everyone"].status == MigrationStatus.NEW
    assert result.migrated == ["everyone"] and [key for key, _ in result.skipped] == ["team_only"]
    assert _metastore_keys(db_path)[1] == {"team_only"}
