"""How a Deployment's or IDE project's effective environment is resolved."""

import pytest
from django.db import connection

from envmanager import crypto
from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.selectors.environment import (
    Source,
    deployment_effective_environment,
    effective_entry,
    ide_project_effective_environment,
)
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    EnvVarFactory,
    IdeProjectFactory,
    VariableFactory,
)


def _by_key(entries):
    return {(entry.kind, entry.key): entry for entry in entries}


def _values(deployment):
    return {(e.kind, e.key): e.reveal() for e in deployment_effective_environment(deployment=deployment)}


@pytest.fixture
def shared_db(workspace):
    """A Workspace connection with a secret password, not yet linked anywhere."""
    return ConnectionFactory(
        workspace=workspace,
        key="warehouse",
        fields={"conn_type": "postgres", "host": "db.shared", "login": "shared", "password": "shared-pw", "port": 5432},
    )


def test_unlinked_workspace_object_is_not_in_any_environment(shared_db, dev, prod):
    assert deployment_effective_environment(deployment=dev) == []
    assert deployment_effective_environment(deployment=prod) == []


def test_linked_workspace_object_resolves_with_its_values(shared_db, dev, prod):
    link_services.link_create(env_object=shared_db, actor=None, target=dev)

    entry = effective_entry(deployment=dev, kind=Kind.CONNECTION, key="warehouse")
    assert entry.source == Source.WORKSPACE
    assert entry.source_label == "Workspace object"
    assert entry.reveal()["host"] == "db.shared"
    assert entry.reveal()["password"] == "shared-pw"
    assert effective_entry(deployment=prod, kind=Kind.CONNECTION, key="warehouse") is None


def test_deployment_scoped_object_beats_linked_workspace_object(workspace, shared_db, dev):
    link_services.link_create(env_object=shared_db, actor=None, target=dev)
    ConnectionFactory(
        workspace=workspace, deployment=dev, key="warehouse", fields={"conn_type": "mysql", "host": "db.own"}
    )

    entry = effective_entry(deployment=dev, kind=Kind.CONNECTION, key="warehouse")
    assert entry.source == Source.DEPLOYMENT
    assert entry.reveal()["conn_type"] == "mysql"
    assert entry.reveal()["host"] == "db.own"
    assert entry.reveal()["password"] is None  # nothing leaks in from the Workspace object
    assert len(deployment_effective_environment(deployment=dev)) == 1


def test_override_applies_field_by_field_and_only_to_its_deployment(shared_db, dev, prod):
    link_services.link_create(env_object=shared_db, actor=None, target=dev)
    link_services.link_create(env_object=shared_db, actor=None, target=prod)
    link_services.link_set_override(
        env_object=shared_db, actor=None, target=dev, fields={"password": "dev-pw", "host": "db.dev"}
    )

    dev_entry = effective_entry(deployment=dev, kind=Kind.CONNECTION, key="warehouse")
    assert dev_entry.source == Source.OVERRIDE
    assert dev_entry.source_label == "Workspace + override"
    assert dev_entry.reveal() == {
        "conn_type": "postgres", "description": None, "host": "db.dev", "schema": None, "login": "shared",
        "password": "dev-pw", "port": 5432, "extra": None,
    }
    assert dev_entry.fields["host"].source == Source.OVERRIDE
    assert dev_entry.fields["password"].source == Source.OVERRIDE
    assert dev_entry.fields["login"].source == Source.WORKSPACE

    prod_entry = effective_entry(deployment=prod, kind=Kind.CONNECTION, key="warehouse")
    assert prod_entry.source == Source.WORKSPACE
    assert prod_entry.reveal()["host"] == "db.shared"
    assert prod_entry.reveal()["password"] == "shared-pw"
    shared_db.refresh_from_db()
    assert shared_db.data["host"] == "db.shared"
    assert shared_db.reveal("password") == "shared-pw"


def test_clearing_an_override_restores_the_workspace_values(shared_db, dev):
    link_services.link_create(env_object=shared_db, actor=None, target=dev)
    link_services.link_set_override(env_object=shared_db, actor=None, target=dev, fields={"host": "db.dev"})

    link_services.link_clear_override(env_object=shared_db, actor=None, target=dev)

    entry = effective_entry(deployment=dev, kind=Kind.CONNECTION, key="warehouse")
    assert entry.source == Source.WORKSPACE
    assert entry.reveal()["host"] == "db.shared"


def test_link_to_all_covers_deployments_created_later(workspace, dev):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"}, linked_to_all=True)

    later = DeploymentFactory(workspace=workspace, name="created-later")

    assert _values(dev)[(Kind.VARIABLE, "region")]["value"] == "eu-west-1"
    assert _values(later)[(Kind.VARIABLE, "region")]["value"] == "eu-west-1"
    assert variable.links.count() == 0  # no per-Deployment rows needed


def test_exclusion_removes_one_deployment_and_include_restores_it(workspace, dev, prod):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"}, linked_to_all=True)

    link_services.link_exclude(env_object=variable, actor=None, target=prod)
    assert (Kind.VARIABLE, "region") in _values(dev)
    assert (Kind.VARIABLE, "region") not in _values(prod)

    link_services.link_include(env_object=variable, actor=None, target=prod)
    assert (Kind.VARIABLE, "region") in _values(prod)


def test_override_on_a_link_to_all_object_applies_to_that_deployment_only(workspace, dev, prod):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"}, linked_to_all=True)

    link_services.link_set_override(env_object=variable, actor=None, target=prod, fields={"value": "us"})

    assert _values(prod)[(Kind.VARIABLE, "region")]["value"] == "us"
    assert _values(dev)[(Kind.VARIABLE, "region")]["value"] == "eu"


def test_turning_link_to_all_off_drops_exclusions_and_keeps_explicit_links(workspace, dev, prod):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"}, linked_to_all=True)
    link_services.link_exclude(env_object=variable, actor=None, target=prod)
    link_services.link_create(env_object=variable, actor=None, target=dev)

    link_services.env_object_set_linked_to_all(env_object=variable, actor=None, linked_to_all=False)

    assert (Kind.VARIABLE, "region") in _values(dev)
    assert (Kind.VARIABLE, "region") not in _values(prod)
    assert not variable.links.filter(excluded=True).exists()


def test_unlink_removes_the_object_and_its_override(shared_db, dev):
    link_services.link_create(env_object=shared_db, actor=None, target=dev)
    link_services.link_set_override(env_object=shared_db, actor=None, target=dev, fields={"host": "db.dev"})

    link_services.link_delete(env_object=shared_db, actor=None, target=dev)

    assert deployment_effective_environment(deployment=dev) == []
    assert shared_db.links.count() == 0


def test_ide_projects_resolve_like_deployments(workspace, shared_db):
    ide = IdeProjectFactory(workspace=workspace, name="notebooks")
    VariableFactory(workspace=workspace, key="everywhere", linked_to_all=True)  # Deployments only
    link_services.link_create(env_object=shared_db, actor=None, target=ide)
    link_services.link_set_override(env_object=shared_db, actor=None, target=ide, fields={"login": "ide-user"})

    entries = _by_key(ide_project_effective_environment(ide_project=ide))

    assert list(entries) == [(Kind.CONNECTION, "warehouse")]
    entry = entries[(Kind.CONNECTION, "warehouse")]
    assert entry.source == Source.OVERRIDE
    assert entry.reveal()["login"] == "ide-user"
    assert entry.reveal()["host"] == "db.shared"


def test_other_workspaces_objects_never_resolve(workspace, other_workspace, dev):
    other = ConnectionFactory(workspace=other_workspace, key="warehouse", linked_to_all=True)
    assert other.linked_to_all

    assert deployment_effective_environment(deployment=dev) == []


def test_entries_are_ordered_by_type_then_key(workspace, dev):
    for key in ("b", "a"):
        VariableFactory(workspace=workspace, key=key, linked_to_all=True)
    EnvVarFactory(workspace=workspace, key="Z", linked_to_all=True)
    ConnectionFactory(workspace=workspace, key="c", linked_to_all=True)

    keys = [(e.kind, e.key) for e in deployment_effective_environment(deployment=dev)]

    assert keys == [(Kind.CONNECTION, "c"), (Kind.VARIABLE, "a"), (Kind.VARIABLE, "b"), (Kind.ENV, "Z")]


def test_secret_values_are_masked_until_revealed(shared_db, dev):
    link_services.link_create(env_object=shared_db, actor=None, target=dev)
    entry = effective_entry(deployment=dev, kind=Kind.CONNECTION, key="warehouse")

    assert entry.fields["password"].value is None
    assert entry.fields["password"].is_set
    assert entry.redacted()["password"] == "[secret: set]"
    assert "shared-pw" not in repr(entry)


def test_secret_fields_are_stored_encrypted(workspace, dev):
    marker = "raw-column-marker-7f3a"
    connection_object = ConnectionFactory(
        workspace=workspace, key="secretive", fields={"conn_type": "http", "password": marker, "extra": {"token": marker}}
    )
    variable = VariableFactory(workspace=workspace, key="api_key", fields={"value": marker}, is_secret=True)
    link_services.link_create(env_object=connection_object, actor=None, target=dev)
    link_services.link_set_override(env_object=connection_object, actor=None, target=dev, fields={"password": marker})

    with connection.cursor() as cursor:
        cursor.execute("SELECT data, secrets FROM envmanager_envobject")
        object_rows = cursor.fetchall()
        cursor.execute("SELECT override_data, override_secrets FROM envmanager_link")
        link_rows = cursor.fetchall()

    raw = repr(object_rows) + repr(link_rows)
    assert marker not in raw
    assert crypto.unseal_value(EnvObject.objects.get(pk=variable.pk).secrets["value"]) == marker


def test_secret_flag_change_moves_the_value_and_its_overrides(workspace, dev):
    variable = VariableFactory(workspace=workspace, key="token", fields={"value": "plain-one"})
    link_services.link_create(env_object=variable, actor=None, target=dev)
    link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"value": "dev-one"})

    env_object_services.env_object_update(env_object=variable, actor=None, is_secret=True)

    variable.refresh_from_db()
    link = variable.links.get()
    assert "value" not in variable.data and "value" in variable.secrets
    assert "value" not in link.override_data and "value" in link.override_secrets
    entry = effective_entry(deployment=dev, kind=Kind.VARIABLE, key="token")
    assert entry.fields["value"].secret
    assert entry.reveal()["value"] == "dev-one"


@pytest.mark.parametrize("count", [10, 1000])
def test_effective_environment_queries_do_not_grow_with_objects(workspace, dev, count, django_assert_num_queries):
    objects = EnvObject.objects.bulk_create(
        EnvObject(workspace=workspace, kind=Kind.VARIABLE, key=f"v{i}", data={"value": str(i)}, linked_to_all=True)
        for i in range(count)
    )
    link_services.link_set_override(env_object=objects[0], actor=None, target=dev, fields={"value": "x"})
    EnvObject.objects.create(workspace=workspace, deployment=dev, kind=Kind.ENV, key="OWN", data={"value": "1"})

    with django_assert_num_queries(2):
        entries = deployment_effective_environment(deployment=dev)

    assert len(entries) == count + 1
