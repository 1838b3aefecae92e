import pytest
from django.core.management.base import CommandError

from envmanager.models import EnvObject
from envmanager.services.workspaces import deployment_update
from tests.conftest import AIRFLOW_DB_SECRET, airflow_db_keys

from .conftest import db_state


def test_lists_the_plan_then_migrates_everything_that_can_be(run, airflow_db):
    output = run("migrate_from_airflow", "--deployment", "dev", "--yes")

    plan = " ".join(output.out.split())
    assert "new warehouse new Workspace object" in plan
    assert "cannot bad key 'bad key' is not a valid Airflow connection id" in plan
    assert "exists shared override: value" in plan
    assert "Skipped bad key: 'bad key' is not a valid Airflow connection id" in plan
    assert "Airflow connections: migrated 1, overridden 0, skipped 1, failed 0." in output.out
    assert "Airflow variables: migrated 1, overridden 1, skipped 0, failed 0." in output.out
    assert AIRFLOW_DB_SECRET not in output.both
    assert airflow_db_keys(airflow_db, "connection") == {"bad key"}
    assert airflow_db_keys(airflow_db, "variable") == set()
    assert EnvObject.objects.get(key="warehouse").reveal("password") == AIRFLOW_DB_SECRET


def test_dry_run_and_keys_and_types_narrow_and_change_nothing(run, airflow_db):
    before = db_state()

    output = run("migrate_from_airflow", "--deployment", "dev", "--type", "variables", "--key", "region", "--dry-run")

    assert "region" in output.out and "warehouse" not in output.out
    assert "Would migrate 1 object." in output.out
    assert db_state() == before
    assert airflow_db_keys(airflow_db, "variable") == {"region", "shared"}


def test_only_the_named_keys_are_migrated(run, airflow_db):
    run("migrate_from_airflow", "--deployment", "dev", "--key", "region", "--yes")
    assert airflow_db_keys(airflow_db, "variable") == {"shared"}
    assert airflow_db_keys(airflow_db, "connection") == {"warehouse", "bad key"}


def test_unknown_key_is_an_error_that_changes_nothing(run, airflow_db):
    before = db_state()
    with pytest.raises(CommandError, match="Not in the Airflow metadata database: nope"):
        run("migrate_from_airflow", "--deployment", "dev", "--key", "nope", "--yes")
    assert db_state() == before


def test_refuses_without_confirmation_when_not_on_a_terminal(run, airflow_db):
    with pytest.raises(CommandError, match="Add --yes"):
        run("migrate_from_airflow", "--deployment", "dev")
    assert airflow_db_keys(airflow_db, "variable") == {"region", "shared"}


def test_an_unreadable_database_is_a_one_line_error(run, workspace, airflow_db, tmp_path):
    (tmp_path / "airflow" / "airflow.db").unlink()  # gone since the URL was set
    with pytest.raises(CommandError, match="There is no SQLite database file at .*Nothing changed"):
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
    assert airflow_db_keys(airflow_db, "variable") == {"region", "shared"}


def test_a_migration_already_running_is_refused(run, airflow_db, dev):
    from envmanager.models import MigrationRun
    from envmanager.services.migration import deployment_migration_lock

    MigrationRun.objects.create(deployment=dev, kind="variable", started_by_name="alice")
    with deployment_migration_lock(dev), pytest.raises(CommandError, match="alice is already migrating"):
        run("migrate_from_airflow", "--deployment", "dev", "--type", "variables", "--yes")
