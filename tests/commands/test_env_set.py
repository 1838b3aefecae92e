import json

import pytest
from django.core.management.base import CommandError

from envmanager.models import AuditEntry, EnvObject
from tests.commands.conftest import MARKER, TerminalInput, audit_text, db_state
from tests.factories import ConnectionFactory, VariableFactory


def test_creates_a_workspace_connection_with_every_field(run, workspace):
    result = run(
        "env_set", type="connection", key="warehouse", conn_type="postgres", host="db.internal", schema="analytics",
        login="etl", password=MARKER, port="5432", extra=json.dumps({"sslmode": "require", "token": MARKER}),
        description="Main warehouse",
    )

    obj = EnvObject.objects.get(workspace=workspace, kind="connection", key="warehouse")
    assert obj.deployment is None
    assert obj.data == {
        "conn_type": "postgres", "host": "db.internal", "schema": "analytics", "login": "etl", "port": 5432,
        "description": "Main warehouse",
    }
    assert obj.reveal("password") == MARKER
    assert json.loads(obj.reveal("extra")) == {"sslmode": "require", "token": MARKER}
    assert "Created Airflow connection 'warehouse' (Workspace):" in result.out
    assert "  password: set" in result.out and "  extra: set" in result.out
    assert MARKER not in result.both
    assert MARKER not in audit_text()


def test_reads_one_secret_from_stdin_whole_byte_for_byte(run, workspace):
    result = run(
        "env_set", type="variable", key="pem", value="-", is_secret=True, stdin=f"line one {MARKER}\nline two\n"
    )

    obj = EnvObject.objects.get(key="pem")
    assert obj.is_secret
    assert obj.reveal("value") == f"line one {MARKER}\nline two\n"  # the final newline is part of the input
    assert "value: set" in result.out
    assert "Note: Value ends with a line break; it is kept as is." in result.err
    assert MARKER not in result.both


def test_values_with_surrounding_whitespace_are_kept_and_the_command_says_so(run, workspace):
    result = run("env_set", type="connection", key="c", conn_type="http", login=" lead", password="  pw  ")

    obj = EnvObject.objects.get(key="c")
    assert (obj.data["login"], obj.reveal("password")) == (" lead", "  pw  ")
    assert "Note: Login starts with a space; it is kept as is." in result.err
    assert "Note: Password starts with a space and ends with a space; it is kept as is." in result.err
    assert "  pw  " not in result.both


def test_reads_several_secrets_from_stdin_one_line_each(run, workspace):
    run(
        "env_set", type="connection", key="api", conn_type="http", password="-", extra="-",
        stdin=f'{MARKER}\n{{"token": "t"}}\n',
    )

    obj = EnvObject.objects.get(key="api")
    assert obj.reveal("password") == MARKER  # each line without its line terminator
    assert obj.reveal("extra") == '{"token": "t"}'


def test_updates_only_the_given_fields(run, workspace):
    ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "host": "a", "password": "pw"}
    )

    result = run("env_set", type="connection", key="warehouse", host="b")

    obj = EnvObject.objects.get(key="warehouse")
    assert obj.data["host"] == "b"
    assert obj.data["conn_type"] == "postgres"
    assert obj.reveal("password") == "pw"
    assert "Updated Airflow connection 'warehouse' (Workspace):" in result.out


def test_clear_removes_values(run, workspace):
    ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "port": 5432, "password": "pw"}
    )

    run("env_set", "--type", "connection", "--key", "warehouse", "--clear", "port", "--clear", "password")

    obj = EnvObject.objects.get(key="warehouse")
    assert "port" not in obj.data
    assert "password" not in obj.secrets


def test_secret_flag_moves_a_variable_value_into_encrypted_storage(run, workspace):
    VariableFactory(workspace=workspace, key="token", fields={"value": MARKER})

    result = run("env_set", "--type", "variables", "--key", "token", "--secret")

    obj = EnvObject.objects.get(key="token")
    assert obj.is_secret
    assert "value" not in obj.data
    assert obj.reveal("value") == MARKER
    assert "value: set" in result.out
    assert MARKER not in result.out


def test_link_all_on_create_and_no_link_all_on_update(run, workspace):
    run("env_set", "--type", "env", "--key", "LOG_LEVEL", "--value", "INFO", "--link-all")
    assert EnvObject.objects.get(key="LOG_LEVEL").linked_to_all

    result = run("env_set", "--type", "env", "--key", "LOG_LEVEL", "--no-link-all")

    assert not EnvObject.objects.get(key="LOG_LEVEL").linked_to_all
    assert "Updated Environment variable 'LOG_LEVEL' (Workspace):" in result.out


def test_deployment_scoped_object(run, workspace, dev):
    run("env_set", type="variable", key="batch_size", value="10", deployment="dev")

    obj = EnvObject.objects.get(key="batch_size")
    assert obj.deployment == dev
    assert obj.data == {"value": "10"}


def test_metrics_export_with_bearer_token(run, workspace):
    run(
        "env_set", type="metrics", key="prom", endpoint="https://prom.example.com/api/v1/write", auth_type="bearer",
        password=MARKER, labels='{"team": "data"}',
    )

    obj = EnvObject.objects.get(key="prom")
    assert obj.data == {
        "endpoint": "https://prom.example.com/api/v1/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "bearer", "labels": {"team": "data"},
    }
    assert obj.reveal("password") == MARKER


def test_dry_run_create_changes_nothing(run, workspace):
    before = db_state()

    result = run("env_set", type="connection", key="warehouse", conn_type="postgres", password=MARKER, dry_run=True)

    assert db_state() == before
    assert "Would create Airflow connection 'warehouse' (Workspace):" in result.out
    assert "Dry run: nothing changed." in result.out
    assert MARKER not in result.both


def test_dry_run_update_changes_nothing(run, workspace):
    ConnectionFactory(workspace=workspace, key="warehouse")
    before = db_state()

    result = run("env_set", type="connection", key="warehouse", host="other", dry_run=True)

    assert db_state() == before
    assert "host: other" in result.out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"type": "queue", "key": "x"}, "Unknown type 'queue'. Use one of: connection, variable, env, metrics."),
        ({"type": "env", "key": "1BAD", "value": "x"}, "'1BAD' is not a valid environment variable name"),
        ({"type": "connection", "key": "bad key!", "conn_type": "http"},
         "'bad key!' is not a valid Airflow connection id: a space at position 4 is not allowed."),
        ({"type": "variable", "key": " padded", "value": "x"}, "' padded' is not a valid Airflow variable key"),
        ({"type": "connection", "key": "c", "host": "h"}, "Connection type is required."),
        ({"type": "connection", "key": "c", "conn_type": "http", "extra": "{not json"}, "Extra is not valid JSON"),
        ({"type": "connection", "key": "c", "conn_type": "http", "extra": "[1, 2]"}, "Extra must be a JSON object"),
        ({"type": "connection", "key": "c", "conn_type": "http", "port": "many"}, "Port must be a whole number."),
        ({"type": "metrics", "key": "m", "endpoint": "ftp://x"}, "Endpoint URL must be an http:// or https:// URL."),
        ({"type": "metrics", "key": "m", "endpoint": "https://m.example.com", "auth_type": "basic"},
         "Basic auth needs a username."),
        ({"type": "variable", "key": "v", "host": "h"}, "--host does not apply to Airflow variables"),
        ({"type": "connection", "key": "c", "conn_type": "http", "is_secret": True},
         "Airflow connections have no secret flag"),
        ({"type": "variable", "key": "v", "value": "1", "deployment": "nope"}, "No Deployment named 'nope'"),
        ({"type": "variable", "key": "v", "clear": ["value"]}, "--clear applies to existing objects"),
        ({"type": "variable", "key": "v", "value": "1", "deployment": "dev", "linked_to_all": True},
         "Only Workspace objects can be linked to all Deployments."),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(run, workspace, dev, options, message):
    before = db_state()

    with pytest.raises(CommandError, match=message) as error:
        run("env_set", **options)

    assert "\n" not in str(error.value)
    assert db_state() == before


def test_bad_input_on_update_changes_nothing(run, workspace):
    ConnectionFactory(workspace=workspace, key="warehouse")
    before = db_state()

    with pytest.raises(CommandError, match="Airflow connections have no field 'colour'"):
        run("env_set", "--type", "connection", "--key", "warehouse", "--host", "new", "--clear", "colour")
    with pytest.raises(CommandError, match="Nothing to change for Airflow connection 'warehouse'"):
        run("env_set", type="connection", key="warehouse")
    assert db_state() == before


def test_invalid_secret_json_is_not_echoed(run, workspace):
    with pytest.raises(CommandError) as error:
        run("env_set", type="connection", key="c", conn_type="http", extra=f"{{{MARKER}")
    assert MARKER not in str(error.value)


def test_every_change_writes_one_audit_entry(run, workspace):
    run("env_set", type="variable", key="v", value="1")
    run("env_set", type="variable", key="v", value="2")

    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True))[-2:] == [
        "env_object.create", "env_object.update",
    ]


def test_on_a_terminal_a_dash_secret_is_asked_for_without_echo(run, workspace, monkeypatch):
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or MARKER)

    result = run("env_set", type="connection", key="c", conn_type="http", password="-", stdin=TerminalInput(""))

    assert prompts == ["--password: "]
    assert EnvObject.objects.get(key="c").reveal("password") == MARKER
    assert MARKER not in result.both


def test_a_dash_in_a_plain_only_field_is_taken_literally(run, workspace):
    run("env_set", type="connection", key="c", conn_type="http", host="-")

    assert EnvObject.objects.get(key="c").data["host"] == "-"
