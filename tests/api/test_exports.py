import json
import subprocess

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry
from envmanager.selectors.exports import dotenv_quote, environment_export
from envmanager.services import exports as export_services
from envmanager.services import links as link_services
from tests.api.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD, WAREHOUSE_PASSWORD
from tests.factories import ConnectionFactory, EnvVarFactory

pytestmark = pytest.mark.usefixtures("environment")


def test_connections_export_is_airflows_import_shape_with_overrides(dev):
    export = environment_export(export_format="connections", deployment=dev)

    assert (export.filename, export.content_type, export.count) == ("dev-connections.json", "application/json", 1)
    assert json.loads(export.content) == {
        "warehouse": {
            "conn_type": "postgres", "description": "Main warehouse", "login": "etl",
            "password": WAREHOUSE_DEV_PASSWORD, "host": "db-dev.internal", "port": 5432, "schema": "analytics",
            "extra": json.dumps({"sslmode": "require"}),
        }
    }


def test_variables_export_is_airflows_import_shape(dev, prod):
    dev_vars = json.loads(environment_export(export_format="variables", deployment=dev).content)
    prod_vars = json.loads(environment_export(export_format="variables", deployment=prod).content)

    assert dev_vars == {"api_key": API_KEY_VALUE, "region": {"value": "eu-west-1", "description": "Cloud region"}}
    assert prod_vars == {"prod_only": "prod value", "region": {"value": "eu-west-1", "description": "Cloud region"}}


def test_dotenv_export_has_connections_as_json_variables_and_plain_env(dev):
    export = environment_export(export_format="dotenv", deployment=dev)

    assert export.filename == "dev.env"
    lines = [line for line in export.content.splitlines() if line and not line.startswith("#")]
    names = [line.split("=", 1)[0] for line in lines]
    assert names == ["AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_API_KEY", "AIRFLOW_VAR_REGION", "LOG_LEVEL"]
    conn_json = lines[0].split("=", 1)[1].strip("'")
    assert json.loads(conn_json)["password"] == WAREHOUSE_DEV_PASSWORD
    assert f"AIRFLOW_VAR_API_KEY='{API_KEY_VALUE}'" in lines
    assert "metrics.example.com" not in export.content  # metrics exports are not Airflow objects


def test_dotenv_leaves_out_keys_that_cannot_be_variable_names_and_says_so(workspace, dev):
    ConnectionFactory(workspace=workspace, deployment=dev, key="my-conn.v2", fields={"conn_type": "http"})

    export = environment_export(export_format="dotenv", deployment=dev)

    assignments = [line for line in export.content.splitlines() if line and not line.startswith("#")]
    assert not [line for line in assignments if line.startswith("AIRFLOW_CONN_MY")]
    assert len(export.skipped) == 1 and "'my-conn.v2'" in export.skipped[0]
    assert "# Left out:" in export.content
    # The JSON formats have no such limit.
    assert "my-conn.v2" in json.loads(environment_export(export_format="connections", deployment=dev).content)


TRICKY = [
    "plain",
    "with space and $HOME and `cmd` and \\backslash",
    "it's got a single quote",
    'both \' and " quotes $PATH \\n',
    "multi\nline\nvalue",
    "unicode ✓ naïve",
    "",
]


@pytest.mark.parametrize("value", TRICKY)
def test_dotenv_values_read_back_exactly_in_a_posix_shell(tmp_path, value):
    env_file = tmp_path / "x.env"
    env_file.write_text(f"THE_VALUE={dotenv_quote(value)}\n")

    result = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; printf "%s" "$THE_VALUE"', "_", str(env_file)],
        capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == value


def test_ide_project_export_holds_only_linked_objects(ide_project, environment):
    link_services.link_create(env_object=environment["region"], actor=None, ide_project=ide_project)

    export = environment_export(export_format="variables", ide_project=ide_project)

    assert json.loads(export.content) == {"region": {"value": "eu-west-1", "description": "Cloud region"}}
    assert export.filename == "notebooks-variables.json"
    assert environment_export(export_format="connections", ide_project=ide_project).content == "{}\n"


def test_prod_export_never_holds_dev_values(prod):
    for export_format in ("connections", "variables", "dotenv"):
        content = environment_export(export_format=export_format, deployment=prod).content
        assert WAREHOUSE_DEV_PASSWORD not in content and API_KEY_VALUE not in content
    assert WAREHOUSE_PASSWORD in environment_export(export_format="connections", deployment=prod).content


def test_unknown_format_is_refused(dev):
    with pytest.raises(ValidationError, match="Unknown export format 'yaml'"):
        environment_export(export_format="yaml", deployment=dev)


def test_every_export_is_audited_without_values(dev, operator):
    export_services.environment_export_record(actor=operator, export_format="dotenv", deployment=dev)

    entry = AuditEntry.objects.get(action="environment.export")
    assert (entry.actor, entry.workspace, entry.target_type, entry.target_id) == (operator, dev.workspace, "deployment", dev.pk)
    assert entry.target_label == "Deployment 'dev' as dotenv"
    assert entry.changes["format"] == "dotenv" and entry.changes["objects"] == 4
    text = json.dumps(entry.changes) + entry.target_label
    for secret in (WAREHOUSE_DEV_PASSWORD, API_KEY_VALUE, "eu-west-1", "debug"):
        assert secret not in text


@pytest.mark.parametrize("n", [2, 6])
def test_export_query_count_does_not_grow_with_objects(workspace, dev, n, django_assert_num_queries):
    for i in range(n):
        EnvVarFactory(workspace=workspace, deployment=dev, key=f"BULK_{i}")

    # Two reads for the environment, the audit insert, and the savepoint around them.
    with django_assert_num_queries(5):
        export = export_services.environment_export_record(actor=None, export_format="dotenv", deployment=dev)
    assert export.count == 4 + n
