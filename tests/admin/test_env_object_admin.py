"""Environment objects in the admin: forms from the kind specs, saved and deleted by the services."""

import json

import pytest
from django.contrib.admin.models import LogEntry

from envmanager.models import AuditEntry, EnvObject
from envmanager.services import links as link_services
from tests.admin.conftest import MARKER, admin_url, change_form_data, form_errors
from tests.factories import ConnectionFactory, DeploymentFactory, MetricsExportFactory, VariableFactory


def add_url(kind: str) -> str:
    return f"{admin_url(EnvObject, 'add')}?kind={kind}"


@pytest.fixture
def connection(workspace):
    return ConnectionFactory(
        workspace=workspace, key="warehouse",
        fields={"conn_type": "postgres", "host": "db.example.com", "login": "app", "password": MARKER,
                "port": 5432, "extra": {"token": MARKER}},
    )


def _snapshot(env_object: EnvObject) -> tuple:
    env_object.refresh_from_db()
    o = env_object
    return o.kind, o.key, o.deployment_id, o.is_secret, o.linked_to_all, o.data, o.secrets


def _only_new_audit_entry(before_count: int) -> AuditEntry:
    assert AuditEntry.objects.count() == before_count + 1
    return AuditEntry.objects.order_by("-id").first()


# Adding


def test_add_connection_goes_through_the_service(su_client, superuser, workspace):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(add_url("connection"), {
        "workspace": workspace.pk, "deployment": "", "key": "warehouse", "conn_type": "postgres",
        "host": "db.example.com", "port": "5432", "password": "pw-one", "extra": '{"sslmode": "require"}',
    })

    assert response.status_code == 302
    created = EnvObject.objects.get(workspace=workspace, key="warehouse")
    assert (created.kind, created.deployment, created.linked_to_all) == ("connection", None, False)
    assert created.data == {"conn_type": "postgres", "host": "db.example.com", "port": 5432}
    assert created.reveal("password") == "pw-one"
    assert created.reveal("extra") == '{"sslmode": "require"}'  # the JSON text as typed
    entry = _only_new_audit_entry(audit_count)
    assert (entry.action, entry.actor, entry.target_id) == ("env_object.create", superuser, created.pk)
    assert entry.changes["after"]["fields"]["password"] == "[secret: set]"
    assert "pw-one" not in json.dumps(entry.changes)
    assert LogEntry.objects.filter(object_id=str(created.pk)).count() == 1


def test_add_secret_variable_scoped_to_a_deployment(su_client, workspace, dev):
    response = su_client.post(add_url("variable"), {
        "workspace": workspace.pk, "deployment": dev.pk, "key": "api_key", "is_secret": "on", "value": "v-secret",
    })

    assert response.status_code == 302
    created = EnvObject.objects.get(key="api_key")
    assert (created.kind, created.deployment, created.is_secret) == ("variable", dev, True)
    assert created.data == {}
    assert created.reveal("value") == "v-secret"


def test_add_metrics_export_with_json_fields(su_client, workspace):
    response = su_client.post(add_url("metrics"), {
        "workspace": workspace.pk, "key": "prom", "endpoint": "https://m.example.com/write",
        "exporter_type": "prometheus_remote_write", "auth_type": "bearer", "password": "tok",
        "headers": '{"X-Scope": "team"}', "labels": '{"env": "prod"}', "linked_to_all": "on",
    })

    assert response.status_code == 302
    created = EnvObject.objects.get(key="prom")
    assert created.linked_to_all is True
    assert created.data["labels"] == {"env": "prod"}
    assert created.reveal("headers") == {"X-Scope": "team"}


def test_values_are_saved_as_typed_and_whitespace_is_pointed_out(su_client, workspace):
    response = su_client.post(add_url("connection"), {
        "workspace": workspace.pk, "deployment": "", "key": "padded", "conn_type": "postgres",
        "login": " lead", "password": "  spaced pw  ",
    }, follow=True)

    created = EnvObject.objects.get(key="padded")
    assert (created.data["login"], created.reveal("password")) == (" lead", "  spaced pw  ")
    shown = [str(message) for message in response.context["messages"]]
    assert "Login starts with a space; it is kept as is." in shown
    assert "Password starts with a space and ends with a space; it is kept as is." in shown


@pytest.mark.parametrize(
    ("kind", "post", "field", "message"),
    [
        ("connection", {"key": "bad key!", "conn_type": "postgres"}, "key", "is not a valid Airflow connection id"),
        ("variable", {"key": "trailing ", "value": "x"}, "key", "a space at position 9 is not allowed"),
        ("env", {"key": "1_STARTS_WITH_DIGIT", "value": "x"}, "key", "not a valid environment variable name"),
        ("connection", {"key": "c1", "conn_type": "postgres", "extra": "{not json"}, "extra", "not valid JSON"),
        ("connection", {"key": "c1", "conn_type": "postgres", "extra": "[1, 2]"}, "extra", "must be a JSON object"),
        ("metrics", {"key": "m1", "endpoint": "ftp://x", "exporter_type": "statsd", "auth_type": "none"},
         "endpoint", "must be an http:// or https:// URL"),
        ("metrics", {"key": "m1", "endpoint": "https://x.example.com", "exporter_type": "statsd",
                     "auth_type": "none", "labels": "{oops"}, "labels", "not valid JSON"),
        ("connection", {"key": "c1", "conn_type": "postgres", "port": "five"}, "port", "whole number"),
    ],
)
def test_add_with_bad_input_shows_the_error_and_creates_nothing(su_client, workspace, kind, post, field, message):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(add_url(kind), {"workspace": workspace.pk, "password": MARKER, **post})

    errors = form_errors(response)
    assert any(message in error for error in errors[field]), errors
    assert not EnvObject.objects.exists()
    assert AuditEntry.objects.count() == audit_count
    assert MARKER not in response.content.decode()


def test_add_duplicate_key_shows_the_error_and_creates_nothing(su_client, workspace, connection):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(add_url("connection"), {
        "workspace": workspace.pk, "key": "warehouse", "conn_type": "mysql", "password": "other",
    })

    assert form_errors(response)["key"] == ["Airflow connection 'warehouse' already exists in the Workspace."]
    assert EnvObject.objects.count() == 1
    assert EnvObject.objects.get().data["conn_type"] == "postgres"
    assert AuditEntry.objects.count() == audit_count


def test_add_with_deployment_of_another_workspace_is_refused(su_client, workspace, other_workspace):
    elsewhere = DeploymentFactory(workspace=other_workspace, name="elsewhere")

    response = su_client.post(add_url("env"), {
        "workspace": workspace.pk, "deployment": elsewhere.pk, "key": "FOO", "value": "1",
    })

    assert form_errors(response)["__all__"] == ["The Deployment belongs to another Workspace."]
    assert not EnvObject.objects.exists()


def test_add_view_with_unknown_kind_redirects_to_a_known_one(su_client, db):
    response = su_client.get(add_url("bogus"))

    assert response.status_code == 302
    assert response["Location"].endswith("?kind=connection")


def test_add_another_keeps_the_kind(su_client, workspace):
    response = su_client.post(add_url("env"), {
        "workspace": workspace.pk, "key": "FOO", "value": "1", "_addanother": "1",
    })

    assert response.status_code == 302
    assert "kind=env" in response["Location"]


# Changing


def test_empty_secret_input_keeps_the_stored_secret(su_client, superuser, connection):
    token_before = dict(connection.secrets)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(connection, "change"), change_form_data(su_client, connection, host="db2"))

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.data["host"] == "db2"
    assert connection.secrets == token_before
    assert connection.reveal("password") == MARKER
    assert connection.reveal("extra") == json.dumps({"token": MARKER})
    entry = _only_new_audit_entry(audit_count)
    assert (entry.action, entry.actor) == ("env_object.update", superuser)
    assert entry.changes["before"]["fields"]["host"] == "db.example.com"
    assert entry.changes["after"]["fields"]["host"] == "db2"
    assert entry.changes["secrets_written"] == []
    assert MARKER not in json.dumps(entry.changes)


def test_new_secret_value_replaces_the_stored_one(su_client, connection):
    audit_count = AuditEntry.objects.count()

    su_client.post(admin_url(connection, "change"), change_form_data(su_client, connection, password="pw-two"))

    connection.refresh_from_db()
    assert connection.reveal("password") == "pw-two"
    assert connection.reveal("extra") == json.dumps({"token": MARKER})
    entry = _only_new_audit_entry(audit_count)
    assert entry.changes["secrets_written"] == ["password"]
    assert "pw-two" not in json.dumps(entry.changes)


def test_clear_checkbox_removes_the_secret(su_client, connection):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(connection, "change"), change_form_data(su_client, connection, clear_password="on")
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert "password" not in connection.secrets
    assert connection.reveal("extra") == json.dumps({"token": MARKER})
    entry = _only_new_audit_entry(audit_count)
    assert entry.changes["secrets_written"] == ["password"]
    assert "password" not in entry.changes["after"]["fields"]


def test_clear_field_is_offered_only_for_a_secret_that_is_set(su_client, workspace):
    bare = ConnectionFactory(workspace=workspace, key="bare", fields={"conn_type": "http"})

    form = su_client.get(admin_url(bare, "change")).context["adminform"].form

    assert "password" in form.fields and "clear_password" not in form.fields
    assert "not set" in form.fields["password"].help_text


def test_new_secret_and_clear_together_is_an_error(su_client, connection):
    before = _snapshot(connection)

    response = su_client.post(
        admin_url(connection, "change"),
        change_form_data(su_client, connection, password=f"{MARKER}-2", clear_password="on"),
    )

    assert form_errors(response)["clear_password"] == ["Enter a new value or clear the stored one, not both."]
    assert _snapshot(connection) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"port": "not-a-port"}, "port", "Port must be a whole number."),
        ({"port": "70000"}, "port", "Port must be between 0 and 65535."),
        ({"extra": "{broken"}, "extra", "Extra is not valid JSON"),
        ({"conn_type": ""}, "conn_type", "This field is required."),
    ],
)
def test_change_with_bad_input_changes_nothing(su_client, connection, changes, field, message):
    before = _snapshot(connection)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(connection, "change"),
        change_form_data(su_client, connection, host="changed-host", password=f"{MARKER}-typed", **changes),
    )

    errors = form_errors(response)
    assert any(error.startswith(message) for error in errors[field]), errors
    assert _snapshot(connection) == before
    assert AuditEntry.objects.count() == audit_count
    assert not LogEntry.objects.exists()
    assert MARKER not in response.content.decode()  # neither the stored nor the typed secret


def test_metrics_consistency_error_is_shown(su_client, workspace):
    metrics = MetricsExportFactory(workspace=workspace, key="prom")
    before = _snapshot(metrics)

    response = su_client.post(admin_url(metrics, "change"), change_form_data(su_client, metrics, auth_type="basic"))

    assert form_errors(response)["username"] == ["Basic auth needs a username."]
    assert _snapshot(metrics) == before


def test_marking_a_variable_secret_moves_its_value_into_the_sealed_fields(su_client, workspace):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"})
    audit_count = AuditEntry.objects.count()

    su_client.post(admin_url(variable, "change"), change_form_data(su_client, variable, is_secret="on"))

    variable.refresh_from_db()
    assert variable.is_secret is True
    assert "value" not in variable.data
    assert variable.reveal("value") == "eu-west-1"
    assert _only_new_audit_entry(audit_count).changes["after"]["is_secret"] is True
    form = su_client.get(admin_url(variable, "change")).context["adminform"].form
    assert form["value"].value() in (None, "")  # now write-only


def test_linking_to_all_deployments_from_the_change_form(su_client, connection):
    audit_count = AuditEntry.objects.count()

    su_client.post(admin_url(connection, "change"), change_form_data(su_client, connection, linked_to_all="on"))

    connection.refresh_from_db()
    assert connection.linked_to_all is True
    assert _only_new_audit_entry(audit_count).action == "env_object.link_all"


def test_saving_an_unchanged_form_writes_no_audit_entry(su_client, connection):
    before = _snapshot(connection)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(connection, "change"), change_form_data(su_client, connection))

    assert response.status_code == 302
    assert _snapshot(connection) == before
    assert AuditEntry.objects.count() == audit_count


def test_key_kind_and_scope_are_read_only_on_change(su_client, connection):
    response = su_client.post(
        admin_url(connection, "change"), change_form_data(su_client, connection, key="renamed", kind="variable")
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert (connection.key, connection.kind) == ("warehouse", "connection")


# Deleting


def test_delete_view_deletes_through_the_service(su_client, superuser, connection, dev):
    link_services.link_create(env_object=connection, actor=None, target=dev)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(connection, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not EnvObject.objects.exists()
    entry = _only_new_audit_entry(audit_count)
    assert (entry.action, entry.actor) == ("env_object.delete", superuser)
    assert entry.changes["before"]["links"] == [{"target": "dev", "excluded": False}]
    assert MARKER not in json.dumps(entry.changes)


def test_bulk_delete_action_deletes_each_through_the_service(su_client, workspace, connection):
    others = [VariableFactory(workspace=workspace), VariableFactory(workspace=workspace)]
    audit_count = AuditEntry.objects.count()
    selected = [connection.pk, *(o.pk for o in others)]

    response = su_client.post(
        admin_url(EnvObject), {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    )

    assert response.status_code == 302
    assert not EnvObject.objects.exists()
    assert AuditEntry.objects.count() == audit_count + 3
    assert set(AuditEntry.objects.order_by("-id")[:3].values_list("target_id", flat=True)) == set(selected)


def test_secret_textareas_do_not_echo_what_was_typed(su_client, workspace, connection):
    typed = f'{{"token": "{MARKER}-typed"}}'

    change = su_client.post(
        admin_url(connection, "change"), change_form_data(su_client, connection, extra=typed, port="abc")
    )
    add = su_client.post(add_url("variable"), {
        "workspace": workspace.pk, "key": "bad key", "is_secret": "on", "value": f"{MARKER}-typed",
    })

    assert "port" in form_errors(change) and "key" in form_errors(add)
    assert MARKER not in change.content.decode()
    assert MARKER not in add.content.decode()
    assert connection.reveal("extra") == json.dumps({"token": MARKER})


def test_unticking_secret_without_a_new_value_is_refused(su_client, workspace):
    api_key = VariableFactory(workspace=workspace, key="api_key_2", is_secret=True, fields={"value": "old-secret-7f2a"})
    response = su_client.post(admin_url(api_key, "change"), change_form_data(su_client, api_key, is_secret=None))

    assert response.status_code == 200 and "enter its new value" in response.text
    assert EnvObject.objects.get(pk=api_key.pk).is_secret
    assert "old-secret-7f2a" not in repr(list(EnvObject.objects.values_list("data", flat=True)))
