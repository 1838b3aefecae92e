import pytest
from django.core.management.base import CommandError

from envmanager.models import ApiToken, AuditEntry, Deployment, EnvObject, IdeProject, Link
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.commands.conftest import TerminalInput, db_state
from tests.factories import IdeProjectFactory, VariableFactory


@pytest.fixture
def staging(workspace, dev, prod):
    shared = VariableFactory(workspace=workspace, key="shared")
    link_services.link_create(env_object=shared, actor=None, target=dev)
    link_services.link_set_override(env_object=shared, actor=None, target=dev, fields={"value": "dev"})
    link_services.link_create(env_object=shared, actor=None, target=prod)
    VariableFactory(workspace=workspace, deployment=dev, key="own")
    token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    ide = IdeProjectFactory(workspace=workspace, name="notebooks")
    link_services.link_create(env_object=shared, actor=None, target=ide)
    return ide


def test_dry_run_lists_what_goes_and_changes_nothing(run, staging):
    before = db_state()
    result = run("deployment_delete", workspace="Data Platform", deployment="dev", dry_run=True)

    assert db_state() == before
    assert "Deleting Deployment 'dev' removes:" in result.out
    assert "its own objects: 1 Airflow variable" in result.out and "Airflow variable 'own'" in result.out
    assert "links from Workspace objects: 1 (1 override)" in result.out
    assert "API tokens: 1" in result.out and "airflow-dev" in result.out
    assert "migration runs: 0" in result.out and "Workspace objects stay." in result.out
    assert "Would delete Deployment 'dev'." in result.out and "Dry run: nothing changed." in result.out


def test_refuses_without_yes_when_stdin_is_not_a_terminal(run, staging):
    before = db_state()
    with pytest.raises(CommandError, match=r"^Delete Deployment 'dev' of Workspace 'Data Platform'\? Refusing"):
        run("deployment_delete", workspace="Data Platform", deployment="dev")
    assert db_state() == before


def test_yes_deletes_the_deployment_and_what_goes_with_it(run, staging, dev, prod):
    result = run("deployment_delete", workspace="Data Platform", deployment="dev", yes=True)

    assert "Deleted Deployment 'dev' of Workspace 'Data Platform'." in result.out
    assert list(Deployment.objects.values_list("name", flat=True)) == ["prod"]
    assert not EnvObject.objects.filter(key="own").exists() and EnvObject.objects.filter(key="shared").exists()
    assert Link.objects.filter(deployment=prod).count() == 1 and not ApiToken.objects.filter(deployment_id=dev.pk)
    assert AuditEntry.objects.filter(action="deployment.delete", actor_name="system").count() == 1


def test_asks_on_a_terminal_and_a_no_cancels(run, staging):
    before = db_state()
    with pytest.raises(CommandError, match="Cancelled; nothing changed."):
        run("deployment_delete", workspace="Data Platform", deployment="dev", stdin=TerminalInput("no\n"))
    assert db_state() == before
    run("deployment_delete", workspace="Data Platform", deployment="dev", stdin=TerminalInput("yes\n"))
    assert not Deployment.objects.filter(name="dev").exists()


def test_unknown_names_exit_with_a_clear_message(run, staging):
    unknown_deployment = r"No Deployment named 'nope' in Workspace 'Data Platform'\. Known Deployments: 'dev', 'prod'\."
    with pytest.raises(CommandError, match=unknown_deployment):
        run("deployment_delete", workspace="Data Platform", deployment="nope", yes=True)
    with pytest.raises(CommandError, match=r"No Workspace named 'Nope'"):
        run("deployment_delete", workspace="Nope", deployment="dev", yes=True)
    unknown_project = r"No IDE project named 'nope' in Workspace 'Data Platform'\. Known IDE projects: 'notebooks'\."
    with pytest.raises(CommandError, match=unknown_project):
        run("ide_project_delete", workspace="Data Platform", ide_project="nope", yes=True)


def test_ide_project_delete_dry_run_then_yes(run, staging):
    before = db_state()
    result = run("ide_project_delete", workspace="Data Platform", ide_project="notebooks", dry_run=True)
    assert db_state() == before
    assert "Deleting IDE project 'notebooks' removes:" in result.out and "links from Workspace objects: 1" in result.out
    assert "migration runs" not in result.out and "own objects" not in result.out

    result = run("ide_project_delete", workspace="Data Platform", ide_project="notebooks", yes=True)
    assert "Deleted IDE project 'notebooks' of Workspace 'Data Platform'." in result.out
    assert not IdeProject.objects.exists() and EnvObject.objects.filter(key="shared").exists()
    assert not Link.objects.filter(ide_project__isnull=False).exists()
