"""Reading Airflow's connection and variable tables: layouts, decryption, and what cannot be migrated."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError

from envmanager.airflow_db.database import MetadataDatabaseError, open_metadata_database
from envmanager.airflow_db.objects import read_airflow_objects
from envmanager.kinds import Kind
from envmanager.models import Deployment
from envmanager.selectors.migration import (
    MigrationNotPossible,
    MigrationStatus,
    airflow_migration_plan,
)
from envmanager.services.workspaces import deployment_update
from tests.factories import ConnectionFactory, VariableFactory

from .conftest import AIRFLOW_FERNET_KEY


def _read(url, kind, keys=(AIRFLOW_FERNET_KEY,)):
    with open_metadata_database(url) as database:
        return {o.key: o for o in read_airflow_objects(database, kind, list(keys))[1]}


@pytest.mark.parametrize("layout", ["2", "3"])
def test_reads_and_decrypts_both_airflow_layouts(make_airflow_db, engine, layout):
    url, db = make_airflow_db(engine=engine, layout=layout)
    db.add_connection("warehouse", "postgres", host="db", schema="public", login="etl", password="pw",
                      port=5432, extra={"sslmode": "require"}, description="Main DB")
    db.add_variable("region", "eu-west-1", description="Where we run")
    db.add_variable("api_token", "t0k3n")

    connections, variables = _read(url, Kind.CONNECTION), _read(url, Kind.VARIABLE)

    assert connections["warehouse"].fields == {
        "conn_type": "postgres", "description": "Main DB", "host": "db", "schema": "public", "login": "etl",
        "password": "pw", "port": 5432, "extra": '{"sslmode": "require"}',  # the text Airflow stores
    }
    assert connections["warehouse"].problem is None
    assert variables["region"].fields == {"value": "eu-west-1", "description": "Where we run"}
    assert not variables["region"].is_secret
    assert variables["api_token"].is_secret  # Airflow masks keys like this one; so does envmanager


def test_rows_encrypted_with_an_older_key_decrypt_when_the_list_has_both(make_airflow_db):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    url, db = make_airflow_db(keys=[old_key])
    db.add_variable("before_rotation", "old-secret")

    assert _read(url, Kind.VARIABLE, keys=[new_key, old_key])["before_rotation"].fields["value"] == "old-secret"
    assert _read(url, Kind.VARIABLE, keys=[new_key])["before_rotation"].problem.endswith(
        "cannot be decrypted with the Deployment's Airflow Fernet keys."
    )


def test_unencrypted_rows_are_read_as_they_are(make_airflow_db):
    url, db = make_airflow_db()
    db.add_connection("plain", "http", password="visible", extra='{"a": 1}', encrypt=False)
    db.add_variable("plain_var", "v", encrypt=False)

    assert _read(url, Kind.CONNECTION, keys=[])["plain"].fields["password"] == "visible"
    assert _read(url, Kind.VARIABLE, keys=[])["plain_var"].fields["value"] == "v"


def test_encrypted_row_without_any_key_configured_cannot_be_migrated(make_airflow_db):
    url, db = make_airflow_db()
    db.add_variable("locked", "x")
    assert "no Airflow Fernet key configured" in _read(url, Kind.VARIABLE, keys=[])["locked"].problem


@pytest.mark.parametrize(
    "setup, key, reason",
    [
        (lambda db: db.add_connection("bad key!", "http"), "bad key!",
         "'bad key!' is not a valid Airflow connection id: a space at position 4 is not allowed. "
         "Airflow's rule (RE_SANITIZE_CONN_ID)"),
        (lambda db: db.add_connection("x" * 251, "http"), "x" * 251, "is 251 characters long"),
        (lambda db: db.add_connection("list_extra", "http", extra="[1, 2]"), "list_extra", "extra: not a JSON object"),
        (lambda db: db.add_connection("broken_extra", "http", extra="{oops"), "broken_extra", "extra: not valid JSON"),
        (lambda db: db.add_connection("no_type", ""), "no_type", "conn_type: Connection type is required."),
        (lambda db: db.add_connection("bad_port", "http", port=99999), "bad_port", "port: Port must be between"),
    ],
)
def test_rows_that_cannot_be_migrated_say_why(make_airflow_db, setup, key, reason):
    url, db = make_airflow_db()
    setup(db)
    assert reason in _read(url, Kind.CONNECTION)[key].problem


PADDED = {
    "password": "  spaced pw  ", "login": " lead", "host": "db.internal\t", "schema": "\n",
    "description": "  two\nlines\n", "extra": '{ "b": 1,  "a": "ä" }',
}


def test_values_are_read_exactly_and_keys_airflow_accepts_are_migratable(make_airflow_db, engine):
    """No trimming: whitespace, newlines, Unicode and the extra's exact text come out as Airflow stores them."""
    url, db = make_airflow_db(engine=engine)
    for conn_id in ("odd:conn#id(1)", "соединение_бд", "path/like\\x!"):
        db.add_connection(conn_id, "postgres", **PADDED)
    db.add_variable("ключ_переменной", "first line\n  second line\n\n")
    db.add_variable("padded_value", "  x  ", description=" described ")

    connections, variables = _read(url, Kind.CONNECTION), _read(url, Kind.VARIABLE)

    for conn_id in ("odd:conn#id(1)", "соединение_бд", "path/like\\x!"):
        assert connections[conn_id].problem is None, connections[conn_id].problem
        assert connections[conn_id].fields == {"conn_type": "postgres", "port": None, **PADDED}
    assert variables["ключ_переменной"].fields["value"] == "first line\n  second line\n\n"
    assert variables["padded_value"].fields == {"value": "  x  ", "description": " described "}


def test_team_scoped_rows_stay_in_airflow(make_airflow_db, engine, dev):
    """Airflow 3 multi-team rows: envmanager would serve them to every team, so they cannot be selected."""
    url, db = make_airflow_db(engine=engine, layout="3")
    db.execute("INSERT INTO team (name) VALUES (%s)", ("analytics",))
    db.add_connection("team_db", "postgres", password="team-pw")
    db.add_connection("shared_db", "postgres")
    db.add_variable("team_var", "t")
    db.execute("UPDATE connection SET team_name = %s WHERE conn_id = %s", ("analytics", "team_db"))
    db.execute('UPDATE variable SET team_name = %s WHERE "key" = %s', ("analytics", "team_var"))
    dev = deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_FERNET_KEY)

    connections = {item.key: item for item in airflow_migration_plan(deployment=dev, kind=Kind.CONNECTION).items}
    [team_var] = airflow_migration_plan(deployment=dev, kind=Kind.VARIABLE).items

    reason = (
        "Cannot be migrated: team-scoped (Airflow multi-team); envmanager would serve it to every team of this "
        "Deployment."
    )
    assert (connections["team_db"].status, connections["team_db"].reason) == (MigrationStatus.CANNOT, reason)
    assert not connections["team_db"].selectable and connections["team_db"].source.fields == {}
    assert (team_var.status, team_var.reason) == (MigrationStatus.CANNOT, reason)
    assert connections["shared_db"].status == MigrationStatus.NEW


def test_undecryptable_row_says_why(make_airflow_db):
    url, db = make_airflow_db(keys=[Fernet.generate_key().decode()])
    db.add_connection("other_key", "http", password="x")
    assert "cannot be decrypted" in _read(url, Kind.CONNECTION)["other_key"].problem


def test_plan_marks_new_exists_and_conflicts(workspace, source_deployment, airflow):
    _, db = airflow
    db.add_variable("fresh", "1")
    db.add_variable("shared", "airflow-value")
    db.add_variable("own", "x")
    db.add_variable("same", "equal")
    VariableFactory(workspace=workspace, key="shared", fields={"value": "workspace-value"})
    VariableFactory(workspace=workspace, key="same", fields={"value": "equal"})
    VariableFactory(workspace=workspace, deployment=source_deployment, key="own")

    plan = airflow_migration_plan(deployment=source_deployment, kind=Kind.VARIABLE)
    items = {item.key: item for item in plan.items}

    assert items["fresh"].status == MigrationStatus.NEW
    assert items["shared"].status == MigrationStatus.EXISTS and items["shared"].differing_fields == ["value"]
    assert items["same"].status == MigrationStatus.EXISTS and items["same"].differing_fields == []
    assert items["own"].status == MigrationStatus.CANNOT and "already has its own" in items["own"].reason
    assert plan.counts() == {"new": 1, "exists": 2, "cannot": 1}


def test_plan_query_count_does_not_grow_with_rows(workspace, source_deployment, airflow, django_assert_max_num_queries):
    _, db = airflow
    for i in range(30):
        db.add_variable(f"v{i}", str(i))
        if i % 2:
            VariableFactory(workspace=workspace, key=f"v{i}", fields={"value": "other"})
    with django_assert_max_num_queries(2):
        airflow_migration_plan(deployment=source_deployment, kind=Kind.VARIABLE)


def test_unknown_layout_is_refused_with_a_clear_message(make_airflow_db, engine, dev):
    url, db = make_airflow_db(engine=engine)
    dev = deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_FERNET_KEY)
    db.execute("ALTER TABLE variable RENAME COLUMN val TO value_text")  # changed after the URL was set

    with pytest.raises(MetadataDatabaseError, match=r"unknown layout \(missing val\)"):
        airflow_migration_plan(deployment=dev, kind=Kind.CONNECTION)  # refused before a single connection is read


def test_database_without_airflow_tables_is_refused(tmp_path, dev):
    import sqlite3

    path = tmp_path / "airflow" / "empty.db"
    path.parent.mkdir()
    sqlite3.connect(path).close()
    with pytest.raises(ValidationError, match="no 'alembic_version' table"):
        deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{path}")
    assert not Deployment.objects.get(pk=dev.pk).has_metadata_db_url


def test_unreachable_database_is_a_clear_error_without_the_password(dev):
    with pytest.raises(ValidationError) as error:
        deployment_update(deployment=dev, metadata_db_url="postgresql://airflow:hunter2-secret@127.0.0.1:1/airflow")
    assert "Could not connect to an Airflow metadata database at postgresql://airflow@127.0.0.1:1/airflow" in str(error.value)
    assert "hunter2-secret" not in str(error.value)


def test_missing_sqlite_file_is_not_created(tmp_path, dev):
    path = tmp_path / "airflow" / "missing.db"
    with pytest.raises(ValidationError, match="There is no SQLite database file"):
        deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{path}")
    assert not path.exists()


def test_remote_execution_and_unconfigured_deployments_are_refused(workspace, dev):
    with pytest.raises(MigrationNotPossible, match="no Airflow metadata database URL"):
        airflow_migration_plan(deployment=dev, kind=Kind.CONNECTION)
    dev = deployment_update(deployment=dev, execution_mode="remote_execution")
    with pytest.raises(MigrationNotPossible, match="Remote execution Deployments are not supported"):
        airflow_migration_plan(deployment=dev, kind=Kind.CONNECTION)


def test_connection_conflict_with_a_deployment_object(workspace, source_deployment, airflow):
    _, db = airflow
    db.add_connection("warehouse", "postgres")
    ConnectionFactory(workspace=workspace, deployment=source_deployment, key="warehouse")

    item = airflow_migration_plan(deployment=source_deployment, kind=Kind.CONNECTION).items[0]

    assert item.status == MigrationStatus.CANNOT and not item.selectable
