import base64
import io
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from django.core.exceptions import ValidationError
from dotenv import dotenv_values

from envmanager.models import AuditEntry
from envmanager.selectors.exports import ExportOptions, environment_export
from envmanager.services import exports as export_services
from envmanager.services import links as link_services
from envmanager_airflow.formats import airflow_metrics_settings, dotenv_quote
from tests.api.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD, WAREHOUSE_PASSWORD
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    EnvVarFactory,
    VariableFactory,
)

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
    # The target has a metrics export: Airflow's [metrics] settings follow the objects (issue #13).
    assert names == ["AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_API_KEY", "AIRFLOW_VAR_REGION", "LOG_LEVEL",
                     *airflow_metrics_settings()]
    assert export.count == 4  # objects; the settings are not counted
    read_back = dotenv_values(stream=io.StringIO(export.content), interpolate=False)
    assert {name: read_back[name] for name in airflow_metrics_settings()} == airflow_metrics_settings()
    assert json.loads(read_back["AIRFLOW_CONN_WAREHOUSE"])["password"] == WAREHOUSE_DEV_PASSWORD
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
    "multi\nline\nvalue\n",
    "  leading and trailing  ",
    "# not a comment = not a key",
    "ends with a backslash\\",
    "two \\\\ backslashes and \\'",
    "unicode ✓ naïve",
    "tab\tand\rcarriage",
    "",
]


def _shell_reads(env_file) -> str:
    result = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; printf "%s" "$THE_VALUE"', "_", str(env_file)],
        capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


@pytest.mark.parametrize("value", TRICKY)
def test_dotenv_values_read_back_exactly_with_python_dotenv_and_where_said_in_a_shell(tmp_path, value):
    quoted, shell_reads_it = dotenv_quote(value)
    env_file = tmp_path / "x.env"
    env_file.write_bytes(f"THE_VALUE={quoted}\n".encode())

    assert dotenv_values(env_file) == {"THE_VALUE": value}
    if shell_reads_it:
        assert _shell_reads(env_file) == value


def test_values_a_shell_would_misread_are_named_in_the_file(workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="BOTH_QUOTES", fields={"value": "it's \"$HOME\""})
    EnvVarFactory(workspace=workspace, deployment=dev, key="TEMPLATE", fields={"value": "${NOT_EXPANDED}"})

    export = environment_export(export_format="dotenv", deployment=dev)

    assert "BOTH_QUOTES: a POSIX shell would read this value (and the lines after it) differently" in export.content
    assert "TEMPLATE: python-dotenv expands the ${...} in it unless read with interpolate=False." in export.content
    assert len(export.notes) == 2
    read_back = dotenv_values(stream=io.StringIO(export.content), interpolate=False)
    assert (read_back["BOTH_QUOTES"], read_back["TEMPLATE"]) == ("it's \"$HOME\"", "${NOT_EXPANDED}")


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


def test_variables_for_airflow_2_are_plain_values_and_say_what_is_left_out(dev):
    export = environment_export(export_format="variables", deployment=dev, options=ExportOptions(airflow_version=2))

    assert export.filename == "dev-variables-airflow2.json"
    assert json.loads(export.content) == {"api_key": API_KEY_VALUE, "region": "eu-west-1"}
    assert export.notes == (
        "Airflow 2's `variables import` reads no descriptions: the file leaves out the descriptions of region.",
    )


def test_unknown_airflow_version_is_refused():
    with pytest.raises(ValidationError, match="Unknown Airflow version '4'. Use 2 or 3."):
        ExportOptions(airflow_version=4)


def _secret_data(export) -> dict[str, str]:
    manifest = yaml.safe_load(export.content)
    assert (manifest["apiVersion"], manifest["kind"], manifest["type"]) == ("v1", "Secret", "Opaque")
    return {name: base64.b64decode(encoded).decode() for name, encoded in manifest["data"].items()}


def test_k8s_secret_holds_the_environment_variables_as_exact_bytes(workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="PADDED", fields={"value": "  spaced\n\ttabbed ✓ "})
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOOKS_LIKE_A_BOOL", fields={"value": "true"})

    export = environment_export(export_format="k8s-secret", deployment=dev)

    assert (export.filename, export.content_type) == ("dev-secret.yaml", "application/yaml")
    assert yaml.safe_load(export.content)["metadata"] == {
        "name": "dev-env", "labels": {"app.kubernetes.io/managed-by": "envmanager"}
    }
    assert _secret_data(export) == {
        "LOG_LEVEL": "debug", "PADDED": "  spaced\n\ttabbed ✓ ", "LOOKS_LIKE_A_BOOL": "true", **airflow_metrics_settings()
    }
    assert export.count == 3


def test_k8s_secret_with_airflow_objects_uses_airflows_environment_variable_names(dev):
    export = environment_export(
        export_format="k8s-secret", deployment=dev, options=ExportOptions(include_airflow_objects=True)
    )

    data = _secret_data(export)
    assert set(data) == {
        "AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_API_KEY", "AIRFLOW_VAR_REGION", "LOG_LEVEL", *airflow_metrics_settings()
    }
    assert json.loads(data["AIRFLOW_CONN_WAREHOUSE"]) == {
        "conn_type": "postgres", "description": "Main warehouse", "login": "etl", "password": WAREHOUSE_DEV_PASSWORD,
        "host": "db-dev.internal", "port": 5432, "schema": "analytics", "extra": '{"sslmode": "require"}',
    }
    assert data["AIRFLOW_VAR_API_KEY"] == API_KEY_VALUE


def test_k8s_secret_leaves_out_what_cannot_be_an_environment_variable_and_names_that_collide(workspace, dev):
    ConnectionFactory(workspace=workspace, deployment=dev, key="my-conn.v2", fields={"conn_type": "http"})
    VariableFactory(workspace=workspace, deployment=dev, key="ключ", fields={"value": "unicode"})
    VariableFactory(workspace=workspace, deployment=dev, key="Region", fields={"value": "capital"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="AIRFLOW_VAR_API_KEY", fields={"value": "plain env"})

    export = environment_export(
        export_format="k8s-secret", deployment=dev, options=ExportOptions(include_airflow_objects=True)
    )

    assert set(_secret_data(export)) == {"AIRFLOW_CONN_WAREHOUSE", "LOG_LEVEL", *airflow_metrics_settings()}
    assert sorted(export.skipped) == sorted([
        "Airflow connection 'my-conn.v2': 'AIRFLOW_CONN_MY-CONN.V2' is not a valid environment variable name "
        "(use letters, digits and '_' in the key).",
        "Airflow variable 'ключ': 'AIRFLOW_VAR_КЛЮЧ' is not a valid environment variable name "
        "(use letters, digits and '_' in the key).",
        "Airflow variable 'api_key' and Environment variable 'AIRFLOW_VAR_API_KEY': each would be "
        "'AIRFLOW_VAR_API_KEY', which holds one value only.",
        "Airflow variable 'Region' and Airflow variable 'region': each would be 'AIRFLOW_VAR_REGION', which holds "
        "one value only.",
    ])
    assert "# Left out:" in export.content


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Staging", "staging-env"), ("Prod EU (primary)", "prod-eu-primary-env"), ("a..b--c.", "a.b-c-env"), ("прод", "deployment-{pk}-env")],
)
def test_k8s_secret_name_is_a_dns_subdomain_made_from_the_target(workspace, name, expected):
    deployment = DeploymentFactory(workspace=workspace, name=name)

    manifest = yaml.safe_load(environment_export(export_format="k8s-secret", deployment=deployment).content)

    assert manifest["metadata"]["name"] == expected.format(pk=deployment.pk)
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", manifest["metadata"]["name"])


def test_a_dotenv_file_without_shell_notes_is_read_alike_by_a_posix_shell(workspace, dev, tmp_path):
    """Where no value needs python-dotenv's escapes, `set -a; . file` gets exactly what python-dotenv gets."""
    for key, value in [("PADDED", "  x  "), ("QUOTE", "it's"), ("DOLLAR", "$HOME and `id`"), ("LINES", "a\n b\n")]:
        EnvVarFactory(workspace=workspace, deployment=dev, key=key, fields={"value": value})
    export = environment_export(export_format="dotenv", deployment=dev)
    env_file = tmp_path / export.filename
    env_file.write_bytes(export.content.encode())
    dumper = "import json, os; print(json.dumps(dict(os.environ)))"

    result = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; set +a; exec "$2" -c "$3"', "_", str(env_file), sys.executable, dumper],
        capture_output=True, timeout=60, env={"PATH": os.environ["PATH"], "HOME": "/nonexistent"},
    )

    assert result.returncode == 0, result.stderr
    assert not [note for note in export.notes if "POSIX shell" in note]
    read_back = dotenv_values(env_file)
    shell = json.loads(result.stdout)
    assert {name: shell.get(name) for name in read_back} == read_back
    assert read_back["DOLLAR"] == "$HOME and `id`" and read_back["LINES"] == "a\n b\n"
