"""Restore to Airflow: a migration undone leaves the metadata database as it was, column by column."""

import json

import pytest

from envmanager.airflow_db.database import open_metadata_database
from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link, MigrationSnapshot, ObjectVersion
from envmanager.selectors.env_objects import plaintext_values
from envmanager.selectors.migration_restore import AirflowStep, EnvmanagerStep, migration_restore_plan
from envmanager.selectors.versions import restorable_deletions
from envmanager.services import links as link_services
from envmanager.services.env_objects import env_object_update
from envmanager.services.migration import airflow_migration_apply
from envmanager.services.migration_restore import migration_restore_apply
from envmanager.services.workspaces import deployment_update
from tests.factories import ConnectionFactory

from .conftest import AIRFLOW_FERNET_KEY


def table(url, name):
    """Every row of an Airflow table, every column, in id order."""
    with open_metadata_database(url) as database:
        return database.execute(f"SELECT * FROM {name} ORDER BY id")


def _seed(db, workspace, prod):
    ids = [
        db.add_connection("new_db", "postgres", host="db.dev", login="etl", password="pw \n new", port=5432,
                          extra={"sslmode": "require"}, description="  spaced  "),
        db.add_connection("plain", "http", host="h", encrypt=False),
        db.add_connection("shared_api", "http", host="api.dev", password="pw-dev"),
        db.add_connection("bad key", "http"),
    ]
    shared = ConnectionFactory(workspace=workspace, key="shared_api",
                               fields={"conn_type": "http", "host": "api.shared", "password": "pw-shared"})
    link_services.link_create(env_object=shared, actor=None, target=prod)
    return ids


@pytest.fixture(params=["2", "3"])
def layout_db(request, make_airflow_db, engine, dev, workspace, prod):
    url, db = make_airflow_db(engine=engine, layout=request.param)
    deployment = deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_FERNET_KEY)
    ids = _seed(db, workspace, prod)
    yield url, db, deployment, ids
    db.close()


def _migrate(deployment, ids, **kwargs):
    return airflow_migration_apply(deployment=deployment, kind=Kind.CONNECTION, source_ids=ids, actor=None, **kwargs)


def _envmanager(workspace):
    objects = sorted((o.key, repr(sorted(plaintext_values(o).items()))) for o in EnvObject.objects.filter(workspace=workspace))
    links = sorted((link.env_object.key, link.deployment_id, link.excluded, repr(link.override_data),
                    repr(sorted((k, link.reveal_override(k)) for k in link.override_secrets)))
                   for link in Link.objects.filter(env_object__workspace=workspace).select_related("env_object"))
    return objects, links


def test_migrate_then_restore_leaves_every_row_as_it_was(workspace, layout_db, owner):
    url, _, deployment, ids = layout_db
    before, envmanager_before = table(url, "connection"), _envmanager(workspace)
    result = _migrate(deployment, ids)
    assert sorted(result.migrated + result.overridden) == ["new_db", "plain", "shared_api"]
    assert [row[1] for row in table(url, "connection")] == ["bad key"]
    assert MigrationSnapshot.objects.filter(run=result.run).count() == 3
    assert all("db.dev" not in s.row + s.copy for s in MigrationSnapshot.objects.all())  # sealed

    plan = migration_restore_plan(deployment=deployment, run=result.run)
    assert {item.key: (item.airflow, item.envmanager) for item in plan.items} == {
        "new_db": (AirflowStep.WRITE, EnvmanagerStep.REMOVE_OBJECT),
        "plain": (AirflowStep.WRITE, EnvmanagerStep.REMOVE_OBJECT),
        "shared_api": (AirflowStep.WRITE, EnvmanagerStep.UNDO_LINK),
    }
    restored = migration_restore_apply(deployment=deployment, run=result.run, actor=owner)

    assert table(url, "connection") == before  # column by column, ids and Airflow's ciphertext included
    assert _envmanager(workspace) == envmanager_before
    assert restored.complete and restored.count("restored") == 3
    assert AuditEntry.objects.filter(action="env_object.migration_restore").count() == 3
    audit = json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "pw \\n new" not in audit and "pw-dev" not in audit and "gAAAA" not in audit  # secrets never logged
    again = migration_restore_apply(deployment=deployment, run=result.run, actor=owner)  # nothing more to do
    assert table(url, "connection") == before and again.count("restored") == 3


@pytest.mark.parametrize("engine", ["sqlite"])
def test_variables_restore_too(workspace, source_deployment, airflow):
    url, db = airflow
    ids = [db.add_variable("region", "eu"), db.add_variable("slack_token", "xoxb-1", description="d")]
    before = table(url, "variable")
    run = airflow_migration_apply(deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=None).run
    migration_restore_apply(deployment=source_deployment, run=run, actor=None)
    assert table(url, "variable") == before
    assert not EnvObject.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize("engine", ["sqlite"])
def test_keep_source_leaves_the_source_untouched_and_a_restore_removes_the_copy(workspace, layout_db):
    url, _, deployment, ids = layout_db
    before = table(url, "connection")
    result = _migrate(deployment, ids, keep_source=True)
    assert table(url, "connection") == before
    assert EnvObject.objects.filter(key="new_db").exists() and result.run.keep_source

    plan = migration_restore_plan(deployment=deployment, run=result.run)
    assert {item.airflow for item in plan.items} == {AirflowStep.THERE}
    migration_restore_apply(deployment=deployment, run=result.run, actor=None)
    assert table(url, "connection") == before and not EnvObject.objects.filter(key="new_db").exists()


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_key_recreated_in_airflow_is_skipped_and_its_copy_kept(workspace, layout_db):
    url, db, deployment, ids = layout_db
    run = _migrate(deployment, ids).run
    db.add_connection("new_db", "mysql", host="recreated")

    result = migration_restore_apply(deployment=deployment, run=run, actor=None)

    rows = {row[1]: row for row in table(url, "connection")}
    assert rows["new_db"][2] == "mysql"  # the re-created row is untouched
    assert dict((k, s) for k, s, _ in result.rows)["new_db"] == "skipped"
    assert EnvObject.objects.filter(key="new_db").exists()
    assert "in Airflow again" in dict((k, n) for k, _, n in result.rows)["new_db"]


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_copy_edited_since_the_migration_is_kept(workspace, layout_db):
    url, _, deployment, ids = layout_db
    run = _migrate(deployment, ids).run
    env_object_update(env_object=EnvObject.objects.get(key="new_db"), actor=None, fields={"host": "edited"})

    result = migration_restore_apply(deployment=deployment, run=run, actor=None)

    assert "new_db" in {row[1] for row in table(url, "connection")}  # written back all the same
    states = {k: (s, n) for k, s, n in result.rows}
    assert states["new_db"][0] == "kept" and "Edited in envmanager since the migration (host)" in states["new_db"][1]
    assert EnvObject.objects.get(key="new_db").data["host"] == "edited"
    assert states["plain"][0] == "restored"


class Killed(Exception):
    pass


FAULT_POINTS = [("written", "new_db"), ("written", "shared_api"), ("removing", "new_db"), ("removed", "new_db"),
                ("removing", "shared_api"), ("removed", "shared_api")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("layout_db", ["3"], indirect=True)
@pytest.mark.parametrize("fault_event, fault_key", FAULT_POINTS)
def test_an_interrupted_restore_converges_when_run_again(workspace, layout_db, fault_event, fault_key):
    url, _, deployment, ids = layout_db
    before, envmanager_before = table(url, "connection"), _envmanager(workspace)
    run = _migrate(deployment, ids).run

    def kill(event, key):
        if (event, key) == (fault_event, fault_key):
            raise Killed(f"process killed at {event} {key}")

    with pytest.raises(Killed):
        migration_restore_apply(deployment=deployment, run=run, actor=None, on_progress=kill)
    run.refresh_from_db()
    assert run.restored_at is None
    result = migration_restore_apply(deployment=deployment, run=run, actor=None)

    assert result.complete and table(url, "connection") == before
    assert _envmanager(workspace) == envmanager_before


@pytest.mark.parametrize("engine", ["sqlite"])
def test_snapshots_are_committed_before_any_row_is_deleted_and_a_failed_run_restores(workspace, layout_db):
    url, _, deployment, ids = layout_db
    before = table(url, "connection")

    def kill(event, key):
        if event == "deleting":
            assert set(MigrationSnapshot.objects.values_list("key", flat=True)) == {"new_db", "plain", "shared_api"}
        if (event, key) == ("deleted", "plain"):
            raise Killed("killed half-way through the delete phase")

    with pytest.raises(Killed):
        _migrate(deployment, ids, on_progress=kill)
    run = MigrationSnapshot.objects.first().run
    assert run.state == "failed"

    result = migration_restore_apply(deployment=deployment, run=run, actor=None)

    assert result.complete and table(url, "connection") == before
    assert not EnvObject.objects.filter(key__in=["new_db", "plain"]).exists()


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_restore_waits_for_no_one_while_a_migration_holds_the_lock(layout_db):
    from envmanager.services.migration import MigrationInProgress, deployment_migration_lock

    url, _, deployment, ids = layout_db
    run = _migrate(deployment, ids).run
    after_migration = table(url, "connection")
    with deployment_migration_lock(deployment) as locked:  # another process migrating or restoring
        assert locked
        with pytest.raises(MigrationInProgress, match="A migration or restore of Deployment 'dev' is running"):
            migration_restore_apply(deployment=deployment, run=run, actor=None)
    assert table(url, "connection") == after_migration
    assert not MigrationSnapshot.objects.exclude(restore_state="pending").exists()


@pytest.mark.parametrize("engine", ["sqlite"])
@pytest.mark.parametrize("layout_db", ["3"], indirect=True)
def test_history_records_what_a_restore_removes(workspace, layout_db, owner):
    """A copy removed by Restore to Airflow ends its history as a deletion (and can be found in Recently
    deleted); an override the migration made and the restore drops ends its override history the same way."""
    _, _, deployment, ids = layout_db
    result = _migrate(deployment, ids)
    new_db = EnvObject.objects.get(key="new_db")
    shared = EnvObject.objects.get(key="shared_api")

    migration_restore_apply(deployment=deployment, run=result.run, actor=owner)

    assert list(ObjectVersion.objects.filter(**ObjectVersion.history_of(new_db.pk)).order_by("number")
                .values_list("change", "actor")) == [("migrated", None), ("deleted", owner.pk)]
    assert new_db.pk in {version.object_id for version in restorable_deletions(workspace_id=workspace.pk)}
    override = ObjectVersion.objects.filter(
        **ObjectVersion.history_of(shared.pk, link_deployment_id=deployment.pk, link_ide_project_id=None)
    ).order_by("number")
    assert [version.change for version in override][-1] == "deleted"
    assert not Link.objects.filter(env_object=shared, deployment=deployment).exists()
