import pytest
from django.core.management.base import CommandError

from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.services import links as link_services
from tests.commands.conftest import TerminalInput, db_state
from tests.factories import ConnectionFactory, IdeProjectFactory, VariableFactory


@pytest.fixture
def linked_connection(workspace, dev, prod):
    connection = ConnectionFactory(workspace=workspace, key="warehouse")
    link_services.link_create(env_object=connection, actor=None, target=dev)
    link_services.link_create(env_object=connection, actor=None, target=prod)
    link_services.link_create(env_object=connection, actor=None, target=IdeProjectFactory(workspace=workspace))
    return connection


def test_refuses_without_yes_when_stdin_is_not_a_terminal(run, linked_connection):
    before = db_state()

    with pytest.raises(
        CommandError,
        match=r"^Delete Airflow connection 'warehouse' \(Workspace\), linked to 2 Deployments and 1 IDE project\? "
        r"Refusing without confirmation: standard input is not a terminal\. Add --yes to go ahead; nothing changed\.$",
    ):
        run("env_delete", type="connection", key="warehouse")
    assert db_state() == before


def test_yes_deletes_the_object_with_its_links_and_says_how_many(run, linked_connection):
    result = run("env_delete", type="connection", key="warehouse", yes=True)

    assert not EnvObject.objects.exists()
    assert not Link.objects.exists()
    assert AuditEntry.objects.filter(action="env_object.delete").count() == 1
    assert "Deleted Airflow connection 'warehouse' (Workspace); it was linked to 2 Deployments and 1 IDE project." in (
        result.out
    )


def test_asks_on_a_terminal_and_deletes_on_yes(run, linked_connection):
    result = run("env_delete", type="connection", key="warehouse", stdin=TerminalInput("yes\n"))

    assert "Delete Airflow connection 'warehouse' (Workspace), linked to 2 Deployments" in result.err
    assert not EnvObject.objects.exists()


def test_any_other_answer_cancels(run, linked_connection):
    before = db_state()

    with pytest.raises(CommandError, match="Cancelled; nothing changed."):
        run("env_delete", type="connection", key="warehouse", stdin=TerminalInput("\n"))
    assert db_state() == before


def test_dry_run_changes_nothing(run, linked_connection):
    before = db_state()

    result = run("env_delete", type="connection", key="warehouse", dry_run=True)

    assert db_state() == before
    assert "Would delete Airflow connection 'warehouse' (Workspace), linked to 2 Deployments and 1 IDE project." in (
        result.out
    )


def test_deletes_a_deployment_object_and_leaves_the_workspace_one(run, workspace, prod):
    VariableFactory(workspace=workspace, key="batch_size")
    VariableFactory(workspace=workspace, deployment=prod, key="batch_size")

    result = run("env_delete", type="variable", key="batch_size", deployment="prod", yes=True)

    assert list(EnvObject.objects.values_list("deployment", flat=True)) == [None]
    assert "it was used by Deployment 'prod' only" in result.out


def test_link_to_all_object_reports_receivers_and_exclusions(run, workspace, dev, prod):
    env = VariableFactory(workspace=workspace, key="flag", linked_to_all=True)
    link_services.link_exclude(env_object=env, actor=None, target=prod)

    result = run("env_delete", type="variable", key="flag", dry_run=True)

    assert "linked to all Deployments (1 now) and 0 IDE projects" in result.out


def test_unknown_object(run, workspace):
    with pytest.raises(CommandError, match="No airflow connection 'nope' in the Workspace."):
        run("env_delete", type="connection", key="nope", yes=True)


def test_an_unlinked_object_says_so(run, workspace):
    VariableFactory(workspace=workspace, key="unused")

    result = run("env_delete", type="variable", key="unused", yes=True)

    assert "Deleted Airflow variable 'unused' (Workspace); it was not linked to any Deployment or IDE project." in (
        result.out
    )
