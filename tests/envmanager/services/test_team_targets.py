"""Workspaces, Deployments and IDE projects made and renamed by the team: names checked, audit recorded."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from envmanager import permissions as p
from envmanager.models import AuditEntry, Deployment, IdeProject, Membership, Role, Workspace
from envmanager.services.workspaces import (
    deployment_create,
    ide_project_create,
    ide_project_rename,
    workspace_create_as_owner,
    workspace_rename,
)
from tests.conftest import airflow_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_staff_user_creates_a_workspace_and_becomes_its_owner():
    staff = UserFactory(username="platform", is_staff=True)
    workspace = workspace_create_as_owner(name="Analytics", actor=staff)

    assert Membership.objects.get(workspace=workspace).user == staff
    assert p.user_can(type(staff).objects.get(pk=staff.pk), p.WORKSPACE_MEMBERS_UPDATE, workspace)
    assert set(AuditEntry.objects.filter(workspace=workspace).values_list("action", flat=True)) == {
        AuditEntry.Action.WORKSPACE_CREATE, AuditEntry.Action.MEMBERSHIP_SET,
    }


def test_only_staff_create_workspaces_unless_the_setting_allows_everyone(settings):
    user = UserFactory(username="plain")
    with pytest.raises(PermissionDenied):
        workspace_create_as_owner(name="Mine", actor=user)
    assert not Workspace.objects.exists()

    settings.ENVMANAGER_ALLOW_WORKSPACE_CREATE = True
    assert workspace_create_as_owner(name="Mine", actor=user).memberships.get().role == Role.OWNER


def test_workspace_rename_refuses_a_taken_name_and_changes_nothing(workspace, other_workspace, owner):
    with pytest.raises(ValidationError, match="A Workspace named 'Other Team' already exists"):
        workspace_rename(workspace=workspace, name="Other Team", actor=owner)
    with pytest.raises(ValidationError, match="needs a name"):
        workspace_rename(workspace=workspace, name="  ", actor=owner)
    workspace.refresh_from_db()
    assert workspace.name == "Data Platform"

    workspace_rename(workspace=workspace, name="Data Platform EU", actor=owner)
    workspace.refresh_from_db()
    assert workspace.name == "Data Platform EU"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.WORKSPACE_UPDATE)
    assert entry.changes["before"] == {"name": "Data Platform"} and entry.changes["after"] == {"name": "Data Platform EU"}


def test_ide_project_create_and_rename_refuse_duplicates(workspace, owner, ide_project):
    other = ide_project_create(workspace=workspace, name="scratch", actor=owner)
    with pytest.raises(ValidationError, match="already has an IDE project named 'notebooks'"):
        ide_project_create(workspace=workspace, name="notebooks", actor=owner)
    with pytest.raises(ValidationError, match="already has an IDE project named 'notebooks'"):
        ide_project_rename(ide_project=other, name="notebooks", actor=owner)
    assert sorted(IdeProject.objects.values_list("name", flat=True)) == ["notebooks", "scratch"]

    ide_project_rename(ide_project=other, name="sandbox", actor=owner)
    assert sorted(IdeProject.objects.values_list("name", flat=True)) == ["notebooks", "sandbox"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.IDE_PROJECT_UPDATE, target_id=other.pk).exists()


def test_renaming_a_deleted_ide_project_is_a_clear_error(workspace, owner, ide_project):
    IdeProject.objects.filter(pk=ide_project.pk).delete()
    with pytest.raises(ValidationError, match="IDE project 'notebooks' was deleted; nothing was saved"):
        ide_project_rename(ide_project=ide_project, name="x", actor=owner)


def test_an_operator_creates_a_deployment_but_not_with_a_metadata_database(workspace, owner, operator):
    url = airflow_url("new-deployment")
    with pytest.raises(PermissionDenied):
        deployment_create(workspace=workspace, name="prod", actor=operator, metadata_db_url=url)
    assert not Deployment.objects.exists()

    deployment_create(workspace=workspace, name="staging", actor=operator)
    with_db = deployment_create(workspace=workspace, name="prod", actor=owner, metadata_db_url=url)
    assert with_db.has_metadata_db_url
    with pytest.raises(ValidationError, match="already has a Deployment named 'prod'"):
        deployment_create(workspace=workspace, name="prod", actor=owner)
    assert sorted(Deployment.objects.values_list("name", flat=True)) == ["prod", "staging"]
