"""Creating, changing and deleting environment objects: validation, write-only secrets, audit."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, DeploymentFactory, VariableFactory

MARKER = "canary-secret-5b1e"


def _audit_rows():
    return list(AuditEntry.objects.order_by("id"))


def _create(workspace, **kwargs):
    return env_object_services.env_object_create(workspace=workspace, actor=None, **kwargs)


@pytest.mark.parametrize(
    "kind, key, fields, field_in_error",
    [
        (Kind.CONNECTION, "db", {"host": "x"}, "conn_type"),
        (Kind.CONNECTION, "db", {"conn_type": "postgres", "port": "fifty"}, "port"),
        (Kind.CONNECTION, "db", {"conn_type": "postgres", "port": 70000}, "port"),
        (Kind.CONNECTION, "db", {"conn_type": "postgres", "extra": "{not json"}, "extra"),
        (Kind.CONNECTION, "db", {"conn_type": "postgres", "extra": "[1, 2]"}, "extra"),
        (Kind.CONNECTION, "bad key", {"conn_type": "postgres"}, "key"),
        (Kind.CONNECTION, " padded", {"conn_type": "postgres"}, "key"),  # never trimmed into "padded"
        (Kind.VARIABLE, "padded ", {"value": "x"}, "key"),
        (Kind.VARIABLE, "nul", {"value": "a\x00b"}, "value"),  # PostgreSQL and environments cannot hold NUL
        (Kind.VARIABLE, "surrogate", {"value": "bad \udcff bytes"}, "value"),  # not UTF-8 text
        (Kind.METRICS, "m", {"endpoint": "https://x", "labels": {"env": "a\x00"}}, "labels"),
        (Kind.ENV, "9LIVES", {"value": "x"}, "key"),
        (Kind.METRICS, "m", {"endpoint": "ftp://x", "exporter_type": "prometheus_remote_write"}, "endpoint"),
        (Kind.METRICS, "m", {"endpoint": "https://x", "exporter_type": "fax"}, "exporter_type"),
        (Kind.METRICS, "m", {"endpoint": "https://x", "auth_type": "basic"}, "username"),
        (Kind.METRICS, "m", {"endpoint": "https://x", "labels": "{}", "nonsense": 1}, "nonsense"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_changes_nothing(workspace, kind, key, fields, field_in_error):
    audit_before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as error:
        _create(workspace, kind=kind, key=key, fields=fields)

    assert field_in_error in error.value.message_dict
    assert EnvObject.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_duplicate_key_is_a_clear_error(workspace):
    _create(workspace, kind=Kind.VARIABLE, key="region", fields={"value": "eu"})
    with pytest.raises(ValidationError, match="already exists in the Workspace"):
        _create(workspace, kind=Kind.VARIABLE, key="region", fields={"value": "us"})


def test_json_fields_are_checked_and_ports_are_numbers(workspace):
    created = _create(
        workspace, kind=Kind.CONNECTION, key="db",
        fields={"conn_type": "postgres", "port": "5432", "extra": '{"sslmode":  "require", "a": 1.50}'},
    )
    metrics = _create(
        workspace, kind=Kind.METRICS, key="m", fields={"endpoint": "https://x.io", "labels": '{"team": "data"}'}
    )
    assert created.data["port"] == 5432
    # A connection's extra is the JSON text Airflow stores: kept exactly, spacing and number format included.
    assert created.reveal("extra") == '{"sslmode":  "require", "a": 1.50}'
    assert metrics.data["labels"] == {"team": "data"}


WHITESPACE_VALUES = {
    "conn_type": " postgres",
    "host": "db.internal\t",
    "login": " lead",
    "password": "  spaced pw  ",
    "schema": "\n",
    "description": "  Multi\n  line\n",
}


def test_no_value_is_ever_trimmed(workspace):
    """Leading and trailing whitespace, tabs and newlines are values: stored and read back as given."""
    connection_object = _create(workspace, kind=Kind.CONNECTION, key="padded", fields=WHITESPACE_VALUES)
    variable = _create(workspace, kind=Kind.VARIABLE, key="v", fields={"value": "  x  ", "description": " d"})
    env = _create(workspace, kind=Kind.ENV, key="E", is_secret=True, fields={"value": "last newline\n"})
    blank = _create(workspace, kind=Kind.VARIABLE, key="blank", fields={"value": "   "})

    connection_object.refresh_from_db()
    assert {name: connection_object.data.get(name) or connection_object.reveal(name) for name in WHITESPACE_VALUES} == (
        WHITESPACE_VALUES
    )
    assert variable.data == {"value": "  x  ", "description": " d"}
    assert env.reveal("value") == "last newline\n"
    assert blank.data == {"value": "   "}  # only whitespace is still a value, not "empty"

    env_object_services.env_object_update(env_object=variable, actor=None, fields={"value": "\ty\n"})
    variable.refresh_from_db()
    assert variable.data["value"] == "\ty\n"


def test_empty_secret_on_update_keeps_the_stored_value(workspace):
    connection_object = ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "password": MARKER})

    env_object_services.env_object_update(
        env_object=connection_object, actor=None, fields={"password": "", "host": "new-host"}
    )

    connection_object.refresh_from_db()
    assert connection_object.reveal("password") == MARKER
    assert connection_object.data["host"] == "new-host"


def test_clear_removes_a_secret(workspace):
    connection_object = ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "password": MARKER})

    env_object_services.env_object_update(env_object=connection_object, actor=None, clear=("password",))

    connection_object.refresh_from_db()
    assert "password" not in connection_object.secrets


def test_update_with_bad_input_changes_nothing(workspace):
    connection_object = ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "host": "a"})
    audit_before = AuditEntry.objects.count()

    with pytest.raises(ValidationError):
        env_object_services.env_object_update(
            env_object=connection_object, actor=None, fields={"host": "b", "port": "not-a-port"}
        )

    connection_object.refresh_from_db()
    assert connection_object.data["host"] == "a"
    assert AuditEntry.objects.count() == audit_before


def test_deployment_of_another_workspace_is_refused(workspace, other_workspace):
    foreign = DeploymentFactory(workspace=other_workspace)
    with pytest.raises(ValidationError, match="another Workspace"):
        _create(workspace, kind=Kind.VARIABLE, key="x", fields={"value": "1"}, deployment=foreign)


def test_linking_to_another_workspaces_deployment_is_refused(workspace, other_workspace):
    variable = VariableFactory(workspace=workspace)
    with pytest.raises(ValidationError, match="another Workspace"):
        link_services.link_create(env_object=variable, actor=None, target=DeploymentFactory(workspace=other_workspace))
    assert Link.objects.count() == 0


def test_override_needs_a_link(workspace, dev):
    variable = VariableFactory(workspace=workspace)
    with pytest.raises(ValidationError, match="not linked"):
        link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"value": "x"})
    assert Link.objects.count() == 0


def test_deployment_objects_cannot_be_linked(workspace, dev, prod):
    own = VariableFactory(workspace=workspace, deployment=dev)
    with pytest.raises(ValidationError, match="only Workspace objects can be linked"):
        link_services.link_create(env_object=own, actor=None, target=prod)


def test_unlinking_a_link_to_all_object_asks_for_an_exclusion(workspace, dev):
    variable = VariableFactory(workspace=workspace, linked_to_all=True)
    with pytest.raises(ValidationError, match="exclude"):
        link_services.link_delete(env_object=variable, actor=None, target=dev)


def test_excluding_a_deployment_with_an_override_is_refused(workspace, dev):
    variable = VariableFactory(workspace=workspace, linked_to_all=True)
    link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"value": "x"})
    with pytest.raises(ValidationError, match="remove the override"):
        link_services.link_exclude(env_object=variable, actor=None, target=dev)
    assert variable.links.get().override_data == {"value": "x"}


def test_delete_removes_links_and_overrides(workspace, dev):
    variable = VariableFactory(workspace=workspace)
    link_services.link_create(env_object=variable, actor=None, target=dev)
    link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"value": "x"})

    env_object_services.env_object_delete(env_object=variable, actor=None)

    assert not EnvObject.objects.exists()
    assert not Link.objects.exists()


def _every_service_call(workspace, dev, user):
    """Run each env-object and link service once; yield after each so the caller can check the audit log."""
    connection_object = env_object_services.env_object_create(
        workspace=workspace, actor=user, kind=Kind.CONNECTION, key="db",
        fields={"conn_type": "postgres", "password": MARKER, "extra": {"token": MARKER}},
    )
    yield "env_object.create"
    env_object_services.env_object_update(env_object=connection_object, actor=user, fields={"password": MARKER + "2"})
    yield "env_object.update"
    link_services.link_create(env_object=connection_object, actor=user, target=dev)
    yield "link.create"
    link_services.link_set_override(env_object=connection_object, actor=user, target=dev, fields={"password": MARKER})
    yield "link.override"
    link_services.link_clear_override(env_object=connection_object, actor=user, target=dev)
    yield "link.override"
    link_services.link_delete(env_object=connection_object, actor=user, target=dev)
    yield "link.delete"
    link_services.env_object_set_linked_to_all(env_object=connection_object, actor=user, linked_to_all=True)
    yield "env_object.link_all"
    link_services.link_exclude(env_object=connection_object, actor=user, target=dev)
    yield "link.exclude"
    link_services.link_include(env_object=connection_object, actor=user, target=dev)
    yield "link.include"
    variable = env_object_services.env_object_create(
        workspace=workspace, actor=user, kind=Kind.VARIABLE, key="v", fields={"value": MARKER}, is_secret=True,
        deployment=dev,
    )
    yield "env_object.create"
    env_object_services.env_object_update(env_object=variable, actor=user, is_secret=False, fields={"value": "shown"})
    yield "env_object.update"
    env_object_services.env_object_delete(env_object=connection_object, actor=user)
    yield "env_object.delete"


def test_every_change_writes_exactly_one_audit_entry_without_secrets(workspace, dev, owner):
    last_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()

    for expected_action in _every_service_call(workspace, dev, owner):
        new_entries = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id"))
        assert [entry.action for entry in new_entries] == [expected_action]
        entry = new_entries[0]
        assert entry.actor == owner and entry.actor_name == owner.username
        assert entry.workspace == workspace
        assert MARKER not in repr(entry.changes) and MARKER not in entry.target_label
        assert "gAAAA" not in repr(entry.changes)  # no Fernet ciphertext either
        last_id = entry.id


def test_audit_records_before_and_after_with_secrets_marked_written(workspace, owner):
    connection_object = ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "host": "a", "password": "x"})

    env_object_services.env_object_update(
        env_object=connection_object, actor=owner, fields={"host": "b", "password": MARKER}
    )

    entry = AuditEntry.objects.filter(action="env_object.update").get()
    assert entry.changes["before"]["fields"]["host"] == "a"
    assert entry.changes["after"]["fields"]["host"] == "b"
    assert entry.changes["after"]["fields"]["password"] == "[secret: set]"
    assert entry.changes["secrets_written"] == ["password"]


def test_metrics_credentials_the_auth_type_does_not_use_are_dropped(workspace):
    from tests.factories import MetricsExportFactory

    export = MetricsExportFactory(workspace=workspace, fields={
        "endpoint": "https://m.example.com", "exporter_type": "prometheus_remote_write", "auth_type": "basic",
        "username": "u", "password": MARKER,
    })
    env_object_services.env_object_update(env_object=export, actor=None, fields={"auth_type": "bearer"})
    export.refresh_from_db()
    assert "username" not in export.data and export.reveal("password") == MARKER

    env_object_services.env_object_update(env_object=export, actor=None, fields={"auth_type": "none"})
    export.refresh_from_db()
    assert "password" not in export.secrets
