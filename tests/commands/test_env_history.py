"""env_history, env_revert, env_restore and env_purge_deleted (issue #14, docs/cli.md)."""

import re
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from envmanager.models import EnvObject, Link, ObjectVersion
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.commands.conftest import db_state
from tests.factories import ConnectionFactory, VariableFactory


@pytest.fixture
def warehouse_history(workspace, owner):
    connection = ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "host": "a", "password": "first-pw"}
    )
    env_object_services.env_object_update(env_object=connection, actor=owner, fields={"host": "b", "password": "second"})
    return connection


def test_env_history_prints_one_line_per_version(run, warehouse_history):
    lines = run("env_history", type="connection", key="warehouse").out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  system  conn_type, host, password", lines[0])
    assert re.fullmatch(r"2  \S+ \S+  owner  host, password", lines[1])
    assert "first-pw" not in "\n".join(lines)


def test_env_history_of_a_deleted_deployment_object(run, workspace, dev):
    own = VariableFactory(workspace=workspace, deployment=dev, key="batch", fields={"value": "1"})
    env_object_services.env_object_delete(env_object=own, actor=None)
    lines = run("env_history", type="variable", key="batch", deployment="dev").out.splitlines()
    assert [line.split("  ")[-1] for line in lines] == ["value", "(deleted)"]
    with pytest.raises(CommandError, match="'batch' has no history here"):
        run("env_history", type="variable", key="batch")


def test_env_revert_dry_run_changes_nothing_then_reverts_byte_for_byte(run, warehouse_history):
    first_token = ObjectVersion.objects.get(object_id=warehouse_history.pk, number=1).secrets["password"]
    before, versions = db_state(), ObjectVersion.objects.count()

    dry = run("env_revert", type="connection", key="warehouse", version=1, dry_run=True)
    assert "  host: 'a'" in dry.out and "  password: set (secret)" in dry.out and "Dry run: nothing changed." in dry.out
    assert db_state() == before and ObjectVersion.objects.count() == versions
    with pytest.raises(CommandError, match="Refusing without confirmation"):
        run("env_revert", type="connection", key="warehouse", version=1)

    done = run("env_revert", type="connection", key="warehouse", version=1, yes=True)
    assert "Reverted Airflow connection 'warehouse' to version 1." in done.out and "now version 3" in done.out
    stored = EnvObject.objects.get(pk=warehouse_history.pk)
    assert stored.secrets["password"] == first_token and stored.reveal("password") == "first-pw"


def test_env_revert_of_a_missing_version(run, warehouse_history):
    with pytest.raises(CommandError, match="No version 7; versions are 1 to 2."):
        run("env_revert", type="connection", key="warehouse", version=7, yes=True)


def test_env_restore_brings_back_object_and_links(run, workspace, dev):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    link_services.link_create(env_object=variable, actor=None, target=dev)
    link_services.link_set_override(env_object=variable, actor=None, target=dev, fields={"value": "dev"})
    env_object_services.env_object_delete(env_object=variable, actor=None)

    dry = run("env_restore", type="variable", key="region", dry_run=True)
    assert "Would restore Airflow variable 'region'." in dry.out and not EnvObject.objects.exists()

    done = run("env_restore", type="variable", key="region")
    assert "Brought back 1 link (1 with an override)." in done.out
    assert Link.objects.get(env_object_id=variable.pk, deployment=dev).override_data == {"value": "dev"}
    with pytest.raises(CommandError, match="No deleted Airflow variable 'region'"):
        run("env_restore", type="variable", key="region")


def test_env_purge_deleted(run, workspace):
    variable = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    env_object_services.env_object_delete(env_object=variable, actor=None)
    assert "Purged the history of 0 deleted object(s)." in run("env_purge_deleted").out
    ObjectVersion.objects.filter(object_id=variable.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert "Would purge the history of 1" in run("env_purge_deleted", dry_run=True).out
    assert ObjectVersion.objects.exists()
    run("env_purge_deleted")
    assert not ObjectVersion.objects.exists()
