"""Migrate from Airflow, end to end with a real Airflow 3: a metadata database made by the `airflow` CLI
is migrated, its rows are gone, and Airflow reads the same values back through the secrets backend."""

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

AIRFLOW_FERNET_KEY = Fernet.generate_key().decode()

READ_SNIPPET = f"""
import json
from airflow.sdk import BaseHook, Variable
conn = BaseHook.get_connection("reporting_db")
print({RESULT_PREFIX!r} + json.dumps({{
    "host": conn.host, "password": conn.password, "extra": conn.extra_dejson, "port": conn.port,
    "region": Variable.get("region"), "api_token": Variable.get("api_token"),
}}))
"""


def _airflow_rows(db_path):
    with sqlite3.connect(db_path) as conn:
        return (
            sorted(row[0] for row in conn.execute("SELECT conn_id FROM connection")),
            sorted(row[0] for row in conn.execute("SELECT key FROM variable")),
        )


def test_objects_made_by_the_airflow_cli_are_migrated_and_served_back(
    dev, live_server, token_file, airflow_venv_path, airflow_home, backend_package
):
    plain_env = airflow_venv.airflow_env(airflow_home, extra={"AIRFLOW__CORE__FERNET_KEY": AIRFLOW_FERNET_KEY})
    run = lambda *args: airflow_venv.run_airflow(airflow_venv_path, list(args), plain_env)  # noqa: E731
    run("connections", "add", "reporting_db", "--conn-type", "postgres", "--conn-host", "reports.internal",
        "--conn-login", "report", "--conn-password", "r3port-pw", "--conn-port", "5433",
        "--conn-extra", json.dumps({"sslmode": "verify-full"}))
    run("variables", "set", "region", "eu-central-1")
    run("variables", "set", "api_token", "tok-123")
    db_path = airflow_home / "airflow.db"
    assert _airflow_rows(db_path) == (["reporting_db"], ["api_token", "region"])
    deployment = deployment_update(
        deployment=dev, metadata_db_url=f"sqlite:///{db_path}", fernet_keys=AIRFLOW_FERNET_KEY
    )

    for kind in (Kind.CONNECTION, Kind.VARIABLE):
        plan = airflow_migration_plan(deployment=deployment, kind=kind)
        assert {item.status for item in plan.items} == {MigrationStatus.NEW}
        result = airflow_migration_apply(
            deployment=deployment, kind=kind, source_ids=[item.source_id for item in plan.items], actor=None
        )
        assert result.failed == [] and len(result.migrated) == len(plan.items)

    assert _airflow_rows(db_path) == ([], [])  # gone from the metadata database
    env = backend_env(airflow_home, backend_package, url=live_server.url, token_file=token_file)
    env["AIRFLOW__CORE__FERNET_KEY"] = AIRFLOW_FERNET_KEY
    shown = airflow_venv.run_airflow(airflow_venv_path, ["connections", "get", "reporting_db", "-o", "json"], env)
    [conn] = json.loads(shown.stdout[shown.stdout.index("["):])
    assert (conn["host"], conn["login"], conn["password"], str(conn["port"])) == (
        "reports.internal", "report", "r3port-pw", "5433"
    )
    values = snippet_result(airflow_venv.run_python(airflow_venv_path, READ_SNIPPET, env).stdout)
    assert values == {
        "host": "reports.internal", "password": "r3port-pw", "extra": {"sslmode": "verify-full"}, "port": 5433,
        "region": "eu-central-1", "api_token": "tok-123",
    }


def test_a_migration_restored_leaves_airflows_own_rows_as_they_were(dev, airflow_venv_path, airflow_home):
    """Rows made by the `airflow` CLI, migrated and restored, are the same rows, and Airflow reads them alone."""
    from envmanager.models import EnvObject
    from envmanager.services.migration_restore import migration_restore_apply

    plain_env = airflow_venv.airflow_env(airflow_home, extra={"AIRFLOW__CORE__FERNET_KEY": AIRFLOW_FERNET_KEY})
    run = lambda *args: airflow_venv.run_airflow(airflow_venv_path, list(args), plain_env)  # noqa: E731
    run("connections", "add", "reporting_db", "--conn-type", "postgres", "--conn-host", "reports.internal",
        "--conn-password", "r3port-pw", "--conn-extra", json.dumps({"sslmode": "verify-full"}))
    run("variables", "set", "api_token", "tok-123")
    db_path = airflow_home / "airflow.db"
    with sqlite3.connect(db_path) as conn:
        before = [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("connection", "variable")]
    deployment = deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{db_path}", fernet_keys=AIRFLOW_FERNET_KEY)
    for kind in (Kind.CONNECTION, Kind.VARIABLE):
        plan = airflow_migration_plan(deployment=deployment, kind=kind)
        result = airflow_migration_apply(
            deployment=deployment, kind=kind, source_ids=[item.source_id for item in plan.items], actor=None
        )
        assert _airflow_rows(db_path) != (["reporting_db"], ["api_token"])
        restored = migration_restore_apply(deployment=deployment, run=result.run, actor=None)
        assert restored.complete

    with sqlite3.connect(db_path) as conn:
        assert [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("connection", "variable")] == before
    assert not EnvObject.objects.exists()
    shown = run("connections", "get", "reporting_db", "-o", "json")  # no secrets backend: the metastore alone
    [conn] = json.loads(shown.stdout[shown.stdout.index("["):])
    assert (conn["host"], conn["password"]) == ("reports.internal", "r3port-pw")
    assert "tok-123" in run("variables", "get", "api_token").stdout
