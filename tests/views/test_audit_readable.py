"""The audit log in words: field diffs, plain action names, Deployment and date filters, exports."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from envmanager.models import AuditEntry
from envmanager.selectors.audit_readable import action_label, field_changes
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, VariableFactory
from tests.views.conftest import sign_in, url

CANARY = "canary-Pa55-9d1e"


@pytest.fixture
def changed_connection(workspace, dev):
    warehouse = ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "host": "db", "port": 5432, "password": CANARY}
    )
    env_object_services.env_object_update(
        env_object=warehouse, actor=None, fields={"port": 6432, "password": CANARY + "-new", "host": "db"}
    )
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    link_services.link_set_override(env_object=warehouse, actor=None, target=dev, fields={"login": "dev_user"})
    return warehouse


def _entry(action):
    return AuditEntry.objects.filter(action=action).latest("id")


def test_an_update_in_words_with_secrets_only_changed(changed_connection):
    lines = field_changes(_entry("env_object.update").changes)

    assert "port: 5432 → 6432" in lines
    assert "password changed" in lines
    assert not any(line.startswith("host") for line in lines)  # unchanged fields are not listed
    assert CANARY not in repr(lines)


def test_create_override_and_notes_in_words(changed_connection):
    created = field_changes(_entry("env_object.create").changes)
    assert "host: db" in created and "password set (secret)" in created and "key: warehouse" in created
    override = field_changes(_entry("link.override").changes)
    assert "login set to dev_user" in override


def test_secret_changes_described_without_values():
    changes = {
        "before": {"fields": {"password": "[secret: set]", "token": "[secret: set]", "old": "[secret: set]"}},
        "after": {"fields": {"password": "[secret: set]", "token": "[secret: set]", "old": None}},
        "secrets_written": ["password"],
    }
    assert field_changes(changes) == ["password changed", "old cleared"]
    # Anything shaped like a Fernet token that got into an entry is scrubbed, not shown.
    token = "gAAAAAB" + "x" * 80
    assert token not in repr(field_changes({"before": None, "after": {"fields": {"password": token}}}))


def test_actions_in_plain_language():
    assert action_label("link.override") == "Override set"
    assert action_label("env_object.migrate") == "Migrated from Airflow"
    assert action_label("some_future.thing") == "Some future: thing"


def test_page_shows_words_and_plain_action_names(client, owner, workspace, changed_connection):
    sign_in(client, owner)
    html = client.get(url("audit-list", workspace.pk)).content.decode()

    assert "port: 5432 → 6432" in html and "password changed" in html
    assert "Object updated" in html and "Override set" in html
    assert '<option value="link.override">Override set</option>' in html
    assert CANARY not in html


def test_filter_by_deployment(client, owner, workspace, dev, prod, changed_connection):
    VariableFactory(workspace=workspace, deployment=prod, key="prod_only", fields={"value": "1"})
    VariableFactory(workspace=workspace, deployment=dev, key="dev_only", fields={"value": "1"})
    sign_in(client, owner)
    table = client.get(url("audit-list", workspace.pk), {"deployment": "dev"}).content.decode().split('id="audit-table"', 1)[1]

    assert "dev_only" in table and "warehouse" in table  # its own object, and the link and override to it
    assert "prod_only" not in table and "Deployment created" in table  # dev's own creation entry
    assert table.count("Deployment &#x27;prod&#x27;") == 0


def test_filter_by_date_range(client, owner, workspace):
    old = VariableFactory(workspace=workspace, key="old_one")
    VariableFactory(workspace=workspace, key="new_one")
    AuditEntry.objects.filter(target_id=old.pk).update(created_at=datetime(2025, 3, 1, 23, 59, tzinfo=UTC))
    sign_in(client, owner)
    address = url("audit-list", workspace.pk)

    until = client.get(address, {"until": "2025-03-01"}).content.decode()
    assert "old_one" in until and "new_one" not in until
    since = client.get(address, {"since": "2025-03-02"}).content.decode()
    assert "old_one" not in since and "new_one" in since
    exact = client.get(address, {"since": "2025-03-01", "until": "2025-03-01"}).content.decode()
    assert "old_one" in exact and 'value="2025-03-01"' in exact
    assert client.get(address, {"since": "not-a-day", "until": "2025-99-99"}).status_code == 200


def test_export_json_lines_and_csv_from_the_page_follow_the_filters(client, owner, workspace, changed_connection):
    sign_in(client, owner)
    address = url("audit-export", workspace.pk)

    response = client.get(address, {"format": "jsonl", "q": "warehouse"})
    assert response["Content-Type"].startswith("application/x-ndjson")
    body = b"".join(response.streaming_content).decode()
    rows = [json.loads(line) for line in body.splitlines()]
    assert [row["action"] for row in rows] == ["env_object.create", "env_object.update", "link.create", "link.override"]
    assert rows[1]["summary"].startswith("port: 5432 → 6432") and rows[1]["created_at"].endswith("+00:00")
    assert all(row["entry_hash"] and row["chain"] == workspace.pk for row in rows)
    assert CANARY not in body

    response = client.get(address, {"format": "csv", "action": "env_object.update"})
    body = b"".join(response.streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(body)))
    assert len(table) == 1 and table[0]["action_label"] == "Object updated" and CANARY not in body
    assert client.get(address, {"format": "xml"}).status_code == 404


def test_export_and_page_are_for_members_of_the_workspace_only(client, outsider, member, workspace):
    sign_in(client, outsider)
    assert client.get(url("audit-export", workspace.pk)).status_code == 404
    assert client.get(url("audit-list", workspace.pk)).status_code == 404


def test_audit_export_command(workspace, other_workspace, changed_connection, tmp_path):
    out = io.StringIO()
    call_command("audit_export", "--workspace", workspace.name, stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows and {row["workspace"] for row in rows} == {workspace.name}
    assert [row["chain_seq"] for row in rows] == sorted(row["chain_seq"] for row in rows)
    assert CANARY not in out.getvalue()

    target, err = tmp_path / "audit.csv", io.StringIO()
    call_command("audit_export", "--format", "csv", "--output", str(target), stdout=io.StringIO(), stderr=err)
    table = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(table) == AuditEntry.objects.count()
    assert f"Wrote {len(table)} entries to {target}." in err.getvalue()
    assert CANARY not in target.read_text(encoding="utf-8")

    with pytest.raises(CommandError, match="Cannot write"):
        call_command("audit_export", "--output", str(tmp_path / "missing" / "x.jsonl"), stdout=io.StringIO())
