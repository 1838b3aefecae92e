import pytest
from cryptography.fernet import Fernet
from django.core.management.base import CommandError

from envmanager.airflow_db.sample import create_sample_database
from envmanager.models import EnvObject
from envmanager.services.workspaces import deployment_update
from tests.factories import VariableFactory

from .conftest import MARKER, db_state

KEY = Fernet.generate_key().decode()


@pytest.fixture
def airflow_db(tmp_path, workspace, dev):
    url = f"sqlite:///{tmp_path}/airflow.db"
    db = create_sample_database(url, fernet_keys=[KEY])
    db.add_connection("warehouse", "postgres", host="db", password=MARKER)
    db.add_connection("bad key", "http")
    db.add_variable("region", "eu")
    db.add_variable("shared", "dev-value")
    VariableFactory(workspace=workspace, key="shared", fields={"value": "workspace-value"})
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=KEY)
    yield db
    db.close()


def _remaining(db, table):
    column = "conn_id" if table == "connection" else '"key"'
    return {row[0] for row in db.conn.execute(f"SELECT {column} FROM {table}")}


def test_lists_the_plan_then_migrates_everything_that_can_be(run, airflow_db):
    output = run("migrate_from_airflow", "--deployment", "dev", "--yes")

    plan = " ".join(output.out.split())
    assert "new warehouse new Workspace object" in plan
    assert "cannot bad key 'bad key' is not a valid key" in plan
    assert "exists shared override: value" in plan
    assert "Skipped bad key: 'bad key' is not a valid key" in plan
    assert "Airflow connections: migrated 1, overridden 0, skipped 1, failed 0." in output.out
    assert "Airflow variables: migrated 1, overridden 1, skipped 0, failed 0." in output.out
    assert MARKER not in output.both
    assert _remaining(airflow_db, "connection") == {"bad key"}
    assert _remaining(airflow_db, "variable") == set()
    assert EnvObject.objects.get(key="warehouse").reveal("password") == MARKER


def test_dry_run_and_keys_and_types_narrow_and_change_nothing(run, airflow_db):
    before = db_state()

    output = run("migrate_from_airflow", "--deployment", "dev", "--type", "variables", "--key", "region", "--dry-run")

    assert "region" in output.out and "warehouse" not in output.out
    assert "Would migrate 1 object." in output.out
    assert db_state() == before
    assert _remaining(airflow_db, "variable") == {"region", "shared"}


def test_only_the_named_keys_are_migrated(run, airflow_db):
    run("migrate_from_airflow", "--deployment", "dev", "--key", "region", "--yes")
    assert _remaining(airflow_db, "variable") == {"shared"}
    assert _remaining(airflow_db, "connection") == {"warehouse", "bad key"}


def test_unknown_key_is_an_error_that_changes_nothing(run, airflow_db):
    before = db_state()
    with pytest.raises(CommandError, match="Not in the Airflow metadata database: nope"):
        run("migrate_from_airflow", "--deployment", "dev", "--key", "nope", "--yes")
    assert db_state() == before


def test_refuses_without_confirmation_when_not_on_a_terminal(run, airflow_db):
    with pytest.raises(CommandError, match="Add --yes"):
        run("migrate_from_airflow", "--deployment", "dev")
    assert _remaining(airflow_db, "variable") == {"region", "shared"}


def test_an_unreadable_database_is_a_one_line_error(run, workspace, dev, tmp_path):
    deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{tmp_path}/missing.db")
    with pytest.raises(CommandError, match="Cannot open the Airflow metadata database.*Nothing changed"):
        run("migrate_from_airflow", "--deployment", "dev", "--yes")


def test_remote_execution_deployments_are_refused(run, workspace, dev):
    deployment_update(deployment=dev, execution_mode="remote_execution")
    with pytest.raises(CommandError, match="Remote execution Deployments are not supported"):
        run("migrate_from_airflow", "--deployment", "dev", "--yes")


def test_objects_that_fail_make_the_command_exit_non_zero(run, airflow_db, monkeypatch):
    from envmanager.airflow_db.database import MetadataDatabase

    # As if every row had been edited in Airflow between reading and deleting.
    monkeypatch.setattr(MetadataDatabase, "delete_if_unchanged", lambda self, layout, row: False)

    with pytest.raises(CommandError, match="2 objects could not be migrated"):
        run("migrate_from_airflow", "--deployment", "dev", "--type", "variables", "--yes")
    assert _remaining(airflow_db, "variable") == {"region", "shared"}


def test_a_migration_already_running_is_refused(run, airflow_db, dev):
    from envmanager.models import MigrationRun

    MigrationRun.objects.create(deployment=dev, kind="variable", started_by_name="alice")
    with pytest.raises(CommandError, match="alice is already migrating"):
        run("migrate_from_airflow", "--deployment", "dev", "--type", "variables", "--yes")
