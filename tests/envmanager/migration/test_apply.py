"""Applying a migration: effect, nothing lost, nothing doubled, interrupted runs converge."""

import pytest

from envmanager.airflow_db.database import open_metadata_database
from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link, MigrationRun
from envmanager.selectors.env_objects import plaintext_values
from envmanager.selectors.environment import deployment_effective_environment
from envmanager.services import links as link_services
from envmanager.services.migration import (
    MigrationInProgress,
    airflow_migration_apply,
    deployment_migration_lock,
)
from tests.factories import ConnectionFactory


def _rows(url, table):
    with open_metadata_database(url) as database:
        column = "conn_id" if table == "connection" else chr(34) + "key" + chr(34)
        return {row[0] for row in database.execute(f"SELECT {column} FROM {table}")}


def _effective(deployment):
    return {(e.kind, e.key): e.reveal() for e in deployment_effective_environment(deployment=deployment)}


def _state(workspace, deployment, url):
    """Everything a migration can change, by names (not ids): objects, links and overrides, Airflow rows."""
    objects = sorted(
        (o.kind, o.key, o.deployment.name if o.deployment_id else None, o.is_secret,
         repr(sorted(plaintext_values(o).items())))
        for o in EnvObject.objects.filter(workspace=workspace).select_related("deployment")
    )
    links = sorted(
        (link.env_object.key, link.deployment.name, link.excluded, repr(sorted(link.override_data.items())),
         repr(sorted((k, link.reveal_override(k)) for k in link.override_secrets)))
        for link in Link.objects.filter(env_object__workspace=workspace).select_related("env_object", "deployment")
    )
    return objects, links, _rows(url, "connection"), _rows(url, "variable"), _effective(deployment)


def _seed(workspace, deployment, prod, db):
    """Three connections: one new, one onto an existing Workspace object, one that cannot be migrated."""
    ids = {
        "new_db": db.add_connection("new_db", "postgres", host="db.dev", login="etl", password="pw-new", port=5432,
                                    extra={"sslmode": "require"}),
        "shared_api": db.add_connection("shared_api", "http", host="api.dev", password="pw-dev"),
        "bad key": db.add_connection("bad key", "http"),
    }
    shared = ConnectionFactory(workspace=workspace, key="shared_api",
                               fields={"conn_type": "http", "host": "api.shared", "password": "pw-shared"})
    link_services.link_create(env_object=shared, actor=None, target=prod)
    return ids


@pytest.fixture
def seeded(workspace, source_deployment, prod, airflow):
    url, db = airflow
    return url, db, _seed(workspace, source_deployment, prod, db)


def _apply(deployment, ids, actor=None, **kwargs):
    return airflow_migration_apply(deployment=deployment, kind=Kind.CONNECTION, source_ids=list(ids), actor=actor, **kwargs)


def test_migration_moves_values_into_the_workspace_keeping_the_deployments_values(
    workspace, source_deployment, prod, seeded, owner
):
    url, _, ids = seeded
    prod_before = _effective(prod)

    result = _apply(source_deployment, ids.values(), actor=owner)

    assert result.migrated == ["new_db"] and result.overridden == ["shared_api"]
    assert result.skipped == [("bad key", (
        "'bad key' is not a valid Airflow connection id: a space at position 4 is not allowed. "
        "Airflow's rule (RE_SANITIZE_CONN_ID): letters, digits, '_' and # ! ( ) - . : / \\, 1 to 250 characters."
    ))]
    assert result.failed == []
    effective = _effective(source_deployment)
    assert effective[(Kind.CONNECTION, "new_db")] == {
        "conn_type": "postgres", "description": None, "host": "db.dev", "schema": None, "login": "etl",
        "password": "pw-new", "port": 5432, "extra": '{"sslmode": "require"}',
    }
    assert effective[(Kind.CONNECTION, "shared_api")]["host"] == "api.dev"
    assert effective[(Kind.CONNECTION, "shared_api")]["password"] == "pw-dev"
    assert _effective(prod) == prod_before  # other Deployments unaffected
    new_object = EnvObject.objects.get(key="new_db")
    assert new_object.deployment_id is None and not new_object.linked_to_all
    assert list(new_object.links.values_list("deployment__name", flat=True)) == [source_deployment.name]
    assert _rows(url, "connection") == {"bad key"}  # migrated rows deleted, the other kept
    assert sorted(AuditEntry.objects.filter(action="env_object.migrate").values_list("target_id", flat=True)) == sorted(
        [new_object.pk, EnvObject.objects.get(key="shared_api").pk]
    )
    run = MigrationRun.objects.get()
    assert run.state == "finished" and run.summary["migrated"] == ["new_db"]


def test_only_selected_rows_are_migrated(source_deployment, seeded):
    url, _, ids = seeded
    _apply(source_deployment, [ids["new_db"]])
    assert _rows(url, "connection") == {"shared_api", "bad key"}
    assert not EnvObject.objects.filter(key="shared_api", links__deployment=source_deployment).exists()


def test_a_row_changed_after_reading_is_kept_and_reported(source_deployment, seeded):
    url, db, ids = seeded

    def edit_in_airflow(event, key):
        if event == "copied" and key == "new_db":
            db.execute("UPDATE connection SET host = 'edited-meanwhile' WHERE conn_id = 'new_db'")

    result = _apply(source_deployment, [ids["new_db"]], on_progress=edit_in_airflow)

    assert [key for key, _ in result.failed] == ["new_db"]
    assert "Changed in Airflow after it was read" in result.failed[0][1]
    assert result.migrated == []
    assert "new_db" in _rows(url, "connection")

    rerun = _apply(source_deployment, [ids["new_db"]])  # moves the new value

    assert rerun.failed == [] and "new_db" not in _rows(url, "connection")
    assert _effective(source_deployment)[(Kind.CONNECTION, "new_db")]["host"] == "edited-meanwhile"


class Killed(Exception):
    pass


FAULT_POINTS = [("read", None), ("copied", "new_db"), ("copied", "shared_api"), ("deleting", "new_db"),
                ("deleted", "new_db"), ("deleting", "shared_api"), ("deleted", "shared_api")]


@pytest.fixture
def reference_state(make_airflow_db):
    """The end state of the seeded migration run once, uninterrupted, in a Workspace of its own."""
    from envmanager.services.workspaces import deployment_update
    from tests.factories import DeploymentFactory, WorkspaceFactory

    from .conftest import AIRFLOW_FERNET_KEY

    workspace = WorkspaceFactory(name="Reference")
    url, db = make_airflow_db(engine="sqlite")
    deployment = deployment_update(
        deployment=DeploymentFactory(workspace=workspace, name="dev"), metadata_db_url=url, fernet_keys=AIRFLOW_FERNET_KEY
    )
    ids = _seed(workspace, deployment, DeploymentFactory(workspace=workspace, name="prod"), db)
    _apply(deployment, ids.values())
    return _state(workspace, deployment, url)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("engine", ["sqlite"])
@pytest.mark.parametrize("fault_event, fault_key", FAULT_POINTS)
def test_an_interrupted_run_converges_when_run_again(
    workspace, source_deployment, seeded, reference_state, fault_event, fault_key
):
    url, _, ids = seeded

    def kill(event, key):
        if (event, key) == (fault_event, fault_key):
            raise Killed(f"process killed at {event} {key}")

    with pytest.raises(Killed):
        _apply(source_deployment, ids.values(), on_progress=kill)
    assert MigrationRun.objects.get(deployment=source_deployment).state == "failed"  # lock released for the re-run
    _apply(source_deployment, ids.values())

    assert _state(workspace, source_deployment, url) == reference_state


def test_a_second_migration_while_one_runs_is_refused(source_deployment, seeded, owner):
    _, _, ids = seeded
    MigrationRun.objects.create(deployment=source_deployment, kind=Kind.CONNECTION, started_by_name="alice")

    with deployment_migration_lock(source_deployment) as locked:  # alice's process, alive
        assert locked
        with pytest.raises(MigrationInProgress, match="alice is already migrating"):
            _apply(source_deployment, ids.values(), actor=owner)
    assert not EnvObject.objects.filter(key="new_db").exists()


def test_a_run_whose_process_died_is_taken_over_at_once(source_deployment, seeded):
    """The run row is unfinished, but no live process holds the lock: the next run starts, no waiting."""
    _, _, ids = seeded
    dead = MigrationRun.objects.create(deployment=source_deployment, kind=Kind.CONNECTION, started_by_name="cron")

    result = _apply(source_deployment, ids.values())

    assert result.migrated == ["new_db"]
    dead.refresh_from_db()
    assert dead.state == "abandoned" and dead.finished_at


def test_a_repeated_request_returns_the_first_result(source_deployment, seeded):
    _, _, ids = seeded
    first = _apply(source_deployment, ids.values(), request_key="form-123")
    second = _apply(source_deployment, ids.values(), request_key="form-123")

    assert second.run.pk == first.run.pk and second.migrated == ["new_db"]
    assert MigrationRun.objects.count() == 1


def test_a_request_key_belongs_to_its_deployment(source_deployment, seeded, make_airflow_db, other_workspace):
    """Another Deployment's request with the same key is a run of its own, not the first Deployment's result."""
    from envmanager.services.workspaces import deployment_update
    from tests.factories import DeploymentFactory

    from .conftest import AIRFLOW_FERNET_KEY

    _, _, ids = seeded
    first = _apply(source_deployment, ids.values(), request_key="form-123")
    url, db = make_airflow_db(engine="sqlite")
    other = deployment_update(deployment=DeploymentFactory(workspace=other_workspace, name="b"), metadata_db_url=url,
                              fernet_keys=AIRFLOW_FERNET_KEY)
    other_id = db.add_connection("b_conn", "http", host="h")

    second = _apply(other, [other_id], request_key="form-123")

    assert second.run.pk != first.run.pk and second.run.deployment_id == other.pk and second.migrated == ["b_conn"]


def test_variables_migrate_with_their_secret_flag(workspace, source_deployment, airflow):
    _, db = airflow
    ids = [db.add_variable("region", "eu"), db.add_variable("slack_token", "xoxb-1")]

    airflow_migration_apply(deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=None)

    assert not EnvObject.objects.get(key="region").is_secret
    token = EnvObject.objects.get(key="slack_token")
    assert token.is_secret and token.reveal("value") == "xoxb-1" and token.data == {}
