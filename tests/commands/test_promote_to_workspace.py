import pytest
from django.core.management.base import CommandError

from envmanager.models import EnvObject, Link
from tests.factories import ConnectionFactory, EnvVarFactory

from .conftest import MARKER, db_state


def test_promote_moves_the_object_to_the_workspace_and_keeps_the_link(run, workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL", fields={"value": "debug"})

    output = run("promote_to_workspace", "--deployment", "dev", "--type", "env", "--key", "LOG_LEVEL", "--yes")

    promoted = EnvObject.objects.get(key="LOG_LEVEL")
    assert promoted.deployment_id is None
    assert Link.objects.filter(env_object=promoted, deployment=dev).exists()
    assert "becomes a Workspace object" in output.out and "Promoted" in output.out


def test_promote_onto_an_existing_object_names_the_overridden_fields_and_hides_secrets(run, workspace, dev):
    ConnectionFactory(workspace=workspace, key="db", fields={"conn_type": "postgres", "host": "shared"})
    ConnectionFactory(workspace=workspace, deployment=dev, key="db",
                      fields={"conn_type": "postgres", "host": "own", "password": MARKER})

    output = run("promote_to_workspace", "--deployment", "dev", "--type", "connection", "--key", "db", "--yes")

    assert "override of host, password" in output.out
    assert MARKER not in output.both
    assert EnvObject.objects.filter(key="db").count() == 1


def test_dry_run_changes_nothing(run, workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL")
    before = db_state()

    output = run("promote_to_workspace", "--deployment", "dev", "--type", "env", "--key", "LOG_LEVEL", "--dry-run")

    assert "Dry run: nothing changed." in output.out
    assert db_state() == before


def test_refuses_without_confirmation_when_not_on_a_terminal(run, workspace, dev):
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL")
    with pytest.raises(CommandError, match="Add --yes"):
        run("promote_to_workspace", "--deployment", "dev", "--type", "env", "--key", "LOG_LEVEL")
    assert EnvObject.objects.get(key="LOG_LEVEL").deployment_id == dev.pk


def test_a_workspace_object_cannot_be_promoted(run, workspace, dev):
    EnvVarFactory(workspace=workspace, key="LOG_LEVEL")
    with pytest.raises(CommandError, match="No environment variable 'LOG_LEVEL' in Deployment 'dev'"):
        run("promote_to_workspace", "--deployment", "dev", "--type", "env", "--key", "LOG_LEVEL", "--yes")
