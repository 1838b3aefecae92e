"""`env_import`: a preview line per row, a question, one transaction; --dry-run and refusals change nothing."""

import json

import pytest
from django.core.management.base import CommandError

from envmanager.models import AuditEntry, EnvObject
from envmanager.selectors.env_objects import plaintext_values
from tests.commands.conftest import db_state
from tests.factories import ConnectionFactory, EnvVarFactory

EXACT = "  p@ss = wörd \"'\n second line "


@pytest.fixture
def connections_file(tmp_path, workspace):
    ConnectionFactory(workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "host": "old", "password": "x"})
    ConnectionFactory(workspace=workspace, key="same", fields={"conn_type": "http", "host": "h"})
    path = tmp_path / "connections.json"
    path.write_text(json.dumps({
        "warehouse": {"conn_type": "postgres", "description": None, "login": None, "password": EXACT,
                      "host": "db.internal", "port": None, "schema": None, "extra": None},
        "same": {"conn_type": "http", "host": "h"},
        "new_one": {"conn_type": "http", "host": "api", "port": 443, "extra": '{"verify":  false}'},
        "bad id!": {"conn_type": "http"},
        "no_type": {"host": "x"},
    }))
    return path


def test_preview_then_import_in_one_go(run, connections_file, workspace):
    result = run("env_import", file=str(connections_file), format="connections", yes=True)
    assert "exists   connection 'warehouse': Host, Password differ" in result.out
    assert "same     connection 'same'" in result.out
    assert "new      connection 'new_one'" in result.out
    assert "invalid  connection 'bad id!'" in result.out and "invalid  connection 'no_type'" in result.out
    assert "Imported 2 changes into Workspace 'Data Platform' (1 new object, 1 to update, 1 unchanged, 2 invalid)." in result.out
    assert EXACT not in result.out + result.err  # never a secret value
    warehouse = EnvObject.objects.get(key="warehouse")
    assert plaintext_values(warehouse)["password"] == EXACT and warehouse.data["host"] == "db.internal"
    assert plaintext_values(EnvObject.objects.get(key="new_one"))["extra"] == '{"verify":  false}'
    assert AuditEntry.objects.filter(action="env_object.create").count() == 3  # 2 factories + 1 import
    assert AuditEntry.objects.filter(action="env_object.update").count() == 1


def test_dry_run_and_no_yes_change_nothing(run, connections_file):
    before = db_state()
    result = run("env_import", file=str(connections_file), format="connections", dry_run=True)
    assert "Would import 2 changes" in result.out and "Dry run: nothing changed." in result.out
    with pytest.raises(CommandError, match="Refusing without confirmation"):
        run("env_import", file=str(connections_file), format="connections")
    assert db_state() == before


def test_dotenv_into_a_deployment_from_stdin(run, workspace, dev):
    EnvVarFactory(workspace=workspace, key="REGION", fields={"value": "workspace-value"})  # another scope
    text = 'REGION="eu west"\nAPI_TOKEN=\'t0k=en\'\n'
    result = run("env_import", file="-", format="dotenv", deployment="dev", yes=True, stdin=text)
    assert "new      environment variable 'API_TOKEN' (secret)" in result.out
    assert "t0k=en" not in result.out
    own = {obj.key: obj for obj in EnvObject.objects.filter(deployment=dev)}
    assert plaintext_values(own["REGION"])["value"] == "eu west" and not own["REGION"].is_secret
    assert own["API_TOKEN"].is_secret and plaintext_values(own["API_TOKEN"])["value"] == "t0k=en"


def test_unreadable_files_are_one_line_errors(run, tmp_path, workspace):
    bad = tmp_path / "v.json"
    bad.write_bytes(b"{not json")
    with pytest.raises(CommandError, match=r"v.json: Not JSON: .* Nothing was imported\.$"):
        run("env_import", file=str(bad), format="variables", yes=True)
    with pytest.raises(CommandError, match="no such file"):
        run("env_import", file=str(tmp_path / "missing"), format="variables", yes=True)


def test_nothing_to_import(run, tmp_path, workspace):
    path = tmp_path / "v.json"
    path.write_text("{}")
    assert "Nothing to import into Workspace 'Data Platform'" in run("env_import", file=str(path), format="variables").out
