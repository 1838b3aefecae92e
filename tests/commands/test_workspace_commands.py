import pytest
from django.core.management.base import CommandError

from envmanager.models import (
    AuditEntry,
    Deployment,
    ExecutionMode,
    IdeProject,
    Workspace,
)
from tests.commands.conftest import MARKER, audit_text, db_state
from tests.conftest import airflow_url
from tests.factories import WorkspaceFactory

FERNET_KEY = "Z2xvYmFsLWZlcm5ldC1rZXktZm9yLXRlc3RzLTMyYj0="  # 32 url-safe base64 bytes


@pytest.mark.django_db
def test_workspace_create_makes_workspace_with_role_groups_and_audit(run):
    result = run("workspace_create", name="Data Platform", description="Airflow for the data team")

    workspace = Workspace.objects.get(name="Data Platform")
    assert workspace.description == "Airflow for the data team"
    assert workspace.role_groups.count() == 4
    assert AuditEntry.objects.filter(action="workspace.create", workspace=workspace).count() == 1
    assert "Created Workspace 'Data Platform'." in result.out


@pytest.mark.django_db
def test_workspace_create_dry_run_changes_nothing(run):
    before = db_state()

    result = run("workspace_create", name="Data Platform", dry_run=True)

    assert db_state() == before
    assert "Would create Workspace 'Data Platform'." in result.out
    assert "Dry run: nothing changed." in result.out


def test_workspace_create_refuses_a_duplicate_name(run, workspace):
    before = db_state()

    with pytest.raises(CommandError, match="A Workspace named 'Data Platform' already exists."):
        run("workspace_create", name="Data Platform")
    assert db_state() == before


@pytest.mark.django_db
def test_workspace_create_refuses_a_blank_name(run):
    with pytest.raises(CommandError, match="The Workspace needs a name."):
        run("workspace_create", name="   ")
    assert not Workspace.objects.exists()


def test_deployment_create_stores_secrets_encrypted_and_never_prints_them(run, workspace):
    url = airflow_url(f"prod-{MARKER}")

    result = run(
        "deployment_create", workspace="Data Platform", name="prod", metadata_db_url=url, fernet_keys=FERNET_KEY
    )

    deployment = Deployment.objects.get(workspace=workspace, name="prod")
    assert deployment.execution_mode == ExecutionMode.STANDARD
    assert deployment.reveal_metadata_db_url() == url
    assert deployment.reveal_fernet_keys() == [FERNET_KEY]
    assert MARKER not in deployment.metadata_db_url_encrypted
    assert "metadata database URL: set; Fernet keys: set" in result.out
    for text in (result.both, audit_text()):
        assert MARKER not in text
        assert FERNET_KEY not in text


def test_deployment_create_reads_both_secrets_from_stdin_one_line_each(run, workspace):
    url = airflow_url(f"prod-{MARKER}")

    result = run(
        "deployment_create", name="prod", metadata_db_url="-", fernet_keys="-", stdin=f"{url}\n{FERNET_KEY}\n"
    )

    deployment = Deployment.objects.get(name="prod")
    assert deployment.reveal_metadata_db_url() == url
    assert deployment.reveal_fernet_keys() == [FERNET_KEY]
    assert MARKER not in result.both and FERNET_KEY not in result.both


def test_deployment_create_remote_execution_without_secrets(run, workspace):
    result = run("deployment_create", name="edge", execution_mode="remote_execution")

    deployment = Deployment.objects.get(name="edge")
    assert deployment.is_remote_execution
    assert not deployment.has_metadata_db_url and not deployment.has_fernet_keys
    assert "metadata database URL: not set; Fernet keys: not set" in result.out


def test_deployment_create_rejects_an_invalid_fernet_key_without_echoing_it(run, workspace):
    before = db_state()

    with pytest.raises(CommandError, match="Fernet key #1 is not a valid Fernet key") as error:
        run("deployment_create", name="prod", fernet_keys=MARKER)
    assert MARKER not in str(error.value)
    assert db_state() == before


def test_deployment_create_rejects_an_unsupported_database_url(run, workspace):
    with pytest.raises(CommandError, match="must start with postgresql:// or sqlite://") as error:
        run("deployment_create", name="prod", metadata_db_url=f"mysql://root:{MARKER}@db/airflow")
    assert MARKER not in str(error.value)
    assert not Deployment.objects.exists()


def test_deployment_create_refuses_empty_stdin_for_a_secret(run, workspace):
    with pytest.raises(CommandError, match="Standard input held no value for --metadata-db-url"):
        run("deployment_create", name="prod", metadata_db_url="-", stdin="")
    assert not Deployment.objects.exists()


def test_deployment_create_dry_run_changes_nothing(run, workspace):
    before = db_state()

    result = run("deployment_create", name="prod", fernet_keys=FERNET_KEY, dry_run=True)

    assert db_state() == before
    assert "Would create Deployment 'prod'" in result.out


def test_deployment_create_refuses_a_duplicate_name(run, dev):
    with pytest.raises(CommandError, match="already has a Deployment named 'dev'"):
        run("deployment_create", name="dev")
    assert Deployment.objects.count() == 1


@pytest.mark.django_db
def test_unknown_workspace_names_the_known_ones(run):
    WorkspaceFactory(name="Data Platform")

    with pytest.raises(CommandError, match=r"No Workspace named 'Nope'\. Known Workspaces: 'Data Platform'\."):
        run("deployment_create", workspace="Nope", name="prod")


@pytest.mark.django_db
def test_workspace_may_be_left_out_only_when_there_is_exactly_one(run):
    with pytest.raises(CommandError, match="No Workspace exists yet"):
        run("deployment_create", name="prod")
    WorkspaceFactory(name="A")
    run("deployment_create", name="prod")
    WorkspaceFactory(name="B")

    with pytest.raises(CommandError, match="several Workspaces; name one with --workspace: 'A', 'B'"):
        run("deployment_create", name="stage")
    assert list(Deployment.objects.values_list("name", flat=True)) == ["prod"]


def test_ide_project_create(run, workspace):
    result = run("ide_project_create", name="notebooks")

    assert IdeProject.objects.filter(workspace=workspace, name="notebooks").exists()
    assert "Created IDE project 'notebooks' in Workspace 'Data Platform'." in result.out


def test_ide_project_create_dry_run_changes_nothing(run, workspace):
    before = db_state()
    run("ide_project_create", name="notebooks", dry_run=True)
    assert db_state() == before

