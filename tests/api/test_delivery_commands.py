import base64
import io
import json
import stat

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from envmanager.models import ApiToken, AuditEntry
from envmanager.services import tokens as token_services
from envmanager_airflow.formats import airflow_metrics_settings
from tests.api.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD


def _run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, stdin=stdin or io.StringIO())
    return out.getvalue(), err.getvalue()


# --- token_create --------------------------------------------------------------------------------


def test_token_create_prints_the_token_alone_on_the_last_line(dev):
    out, _ = _run("token_create", "--deployment", "dev", "--name", "airflow-dev")

    plain = out.rstrip("\n").splitlines()[-1]
    token = ApiToken.objects.get(deployment=dev, name="airflow-dev")
    assert token_services.token_hash(plain) == token.token_hash
    assert "Created API token 'airflow-dev' for Deployment 'dev'" in out
    assert AuditEntry.objects.filter(action="api_token.create", actor_name="system").count() == 1


def test_token_create_for_an_ide_project(ide_project):
    out, _ = _run("token_create", "--workspace", "Data Platform", "--ide-project", "notebooks", "--name", "laptop")

    assert ApiToken.objects.get(ide_project=ide_project).name == "laptop"
    assert out.splitlines()[-1].startswith("emt_")


def test_token_create_dry_run_creates_nothing_and_prints_no_token(dev):
    out, _ = _run("token_create", "--deployment", "dev", "--name", "x", "--dry-run")

    assert "Would create API token 'x' for Deployment 'dev'" in out
    assert "emt_" not in out
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.filter(action="api_token.create").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deployment", "nope", "--name", "x"], "No Deployment named 'nope'"),
        (["--deployment", "dev", "--name", " "], "needs a name"),
        (["--workspace", "Elsewhere", "--deployment", "dev", "--name", "x"], "No Workspace named 'Elsewhere'"),
    ],
)
def test_token_create_bad_input_is_a_one_line_error_and_changes_nothing(dev, args, message):
    with pytest.raises(CommandError, match=message):
        _run("token_create", *args)

    assert not ApiToken.objects.exists()


def test_token_create_refuses_a_duplicate_active_name(dev):
    _run("token_create", "--deployment", "dev", "--name", "x")

    with pytest.raises(CommandError, match="already has an active API token named 'x'"):
        _run("token_create", "--deployment", "dev", "--name", "x")
    assert ApiToken.objects.count() == 1


# --- token_revoke --------------------------------------------------------------------------------


def test_token_revoke_with_yes(dev):
    issued = token_services.api_token_create(actor=None, name="airflow-dev", deployment=dev)

    out, _ = _run("token_revoke", "--deployment", "dev", "--name", "airflow-dev", "--yes")

    issued.api_token.refresh_from_db()
    assert issued.api_token.revoked_at is not None
    assert "Revoked API token 'airflow-dev' of Deployment 'dev'." in out
    assert issued.plain not in out
    assert token_services.api_token_authenticate(plain=issued.plain) is None


def test_token_revoke_without_a_terminal_or_yes_refuses(dev):
    issued = token_services.api_token_create(actor=None, name="airflow-dev", deployment=dev)

    with pytest.raises(CommandError, match="(?i)add --yes"):
        _run("token_revoke", "--deployment", "dev", "--name", "airflow-dev")

    issued.api_token.refresh_from_db()
    assert issued.api_token.revoked_at is None


def test_token_revoke_dry_run_changes_nothing(dev):
    issued = token_services.api_token_create(actor=None, name="airflow-dev", deployment=dev)

    out, _ = _run("token_revoke", "--deployment", "dev", "--name", "airflow-dev", "--dry-run")

    assert "Would revoke API token 'airflow-dev'" in out
    issued.api_token.refresh_from_db()
    assert issued.api_token.revoked_at is None


def test_token_revoke_unknown_name_lists_active_tokens(dev):
    token_services.api_token_create(actor=None, name="one", deployment=dev)

    with pytest.raises(CommandError, match="no active API token named 'two'. Active tokens: 'one'"):
        _run("token_revoke", "--deployment", "dev", "--name", "two", "--yes")


# --- env_export ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("environment")
def test_env_export_to_stdout_is_the_file_content(dev):
    out, err = _run("env_export", "--deployment", "dev", "--format", "connections")

    assert json.loads(out)["warehouse"]["password"] == WAREHOUSE_DEV_PASSWORD
    assert "Exported 1 object of Deployment 'dev' as connections." in err
    entry = AuditEntry.objects.get(action="environment.export")
    assert (entry.actor_name, entry.changes["channel"]) == ("system", "command")


@pytest.mark.usefixtures("environment")
def test_env_export_to_a_file_readable_by_its_owner_only(tmp_path, dev):
    target = tmp_path / "dev.env"

    out, _ = _run("env_export", "--deployment", "dev", "--format", "dotenv", "--output", str(target))

    assert f"Exported 4 objects of Deployment 'dev' as dotenv to {target}." in out
    assert API_KEY_VALUE not in out
    assert f"AIRFLOW_VAR_API_KEY='{API_KEY_VALUE}'" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.usefixtures("environment")
def test_env_export_will_not_overwrite_a_file_without_yes(tmp_path, dev):
    target = tmp_path / "variables.json"
    target.write_text("keep me")

    with pytest.raises(CommandError, match="exists and will be overwritten"):
        _run("env_export", "--deployment", "dev", "--format", "variables", "--output", str(target))
    assert target.read_text() == "keep me"
    assert not AuditEntry.objects.filter(action="environment.export").exists()

    _run("env_export", "--deployment", "dev", "--format", "variables", "--output", str(target), "--yes")
    assert json.loads(target.read_text())["api_key"] == API_KEY_VALUE


@pytest.mark.usefixtures("environment")
def test_env_export_variables_for_airflow_2_say_what_they_leave_out(dev):
    out, err = _run("env_export", "--deployment", "dev", "--format", "variables", "--airflow", "2")

    assert json.loads(out) == {"api_key": API_KEY_VALUE, "region": "eu-west-1"}
    assert "Note: Airflow 2's `variables import` reads no descriptions: the file leaves out the descriptions of region." in err


@pytest.mark.usefixtures("environment")
def test_env_export_k8s_secret_with_airflow_objects(dev, workspace):
    from tests.factories import VariableFactory

    VariableFactory(workspace=workspace, deployment=dev, key="ключ", fields={"value": "x"})

    out, err = _run("env_export", "--deployment", "dev", "--format", "k8s-secret", "--include-airflow-objects")

    data = yaml.safe_load(out)["data"]
    assert base64.b64decode(data["AIRFLOW_VAR_API_KEY"]).decode() == API_KEY_VALUE
    # The environment has a metrics export: Airflow's [metrics] settings come along (issue #13).
    metrics_settings = set(airflow_metrics_settings())
    assert set(data) == {"AIRFLOW_CONN_WAREHOUSE", "AIRFLOW_VAR_API_KEY", "AIRFLOW_VAR_REGION", "LOG_LEVEL"} | metrics_settings
    assert "Left out Airflow variable 'ключ': 'AIRFLOW_VAR_КЛЮЧ' is not a valid environment variable name" in err
    assert AuditEntry.objects.get(action="environment.export").changes["include_airflow_objects"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deployment", "dev", "--format", "dotenv", "--include-airflow-objects"],
         "--include-airflow-objects applies to --format k8s-secret only."),
        (["--deployment", "nope", "--format", "dotenv"], "No Deployment named 'nope'"),
        (["--deployment", "dev", "--format", "dotenv", "--output", "/nonexistent-dir/x.env"], "does not exist"),
    ],
)
def test_env_export_bad_input(dev, args, message):
    with pytest.raises(CommandError, match=message):
        _run("env_export", *args)
    assert not AuditEntry.objects.filter(action="environment.export").exists()


def test_env_export_unknown_format_is_a_usage_error(dev):
    with pytest.raises(CommandError, match="invalid choice"):
        _run("env_export", "--deployment", "dev", "--format", "yaml")
    with pytest.raises(CommandError, match="invalid choice: 4"):
        _run("env_export", "--deployment", "dev", "--format", "variables", "--airflow", "4")
