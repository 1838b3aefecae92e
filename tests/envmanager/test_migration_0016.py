"""Migration 0015 gives the Operators of existing Workspaces `workspace.deployments.create`."""

import pytest

from envmanager import permissions as p
from envmanager.models import WorkspaceGroupObjectPermission

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("envmanager", "0015_sso_role_grants")]
AFTER = [("envmanager", "0016_team_administration")]


def test_existing_operators_get_deployments_create(migrator, workspace, other_workspace, operator, author):
    # As before the migration: Operators lacked the permission on their Workspace.
    WorkspaceGroupObjectPermission.objects.filter(
        permission__codename=p.DEPLOYMENTS_CREATE, group__workspace_role__role="operator"
    ).delete()
    assert not p.user_can(type(operator).objects.get(pk=operator.pk), p.DEPLOYMENTS_CREATE, workspace)

    migrator(BEFORE)
    migrator(AFTER)

    operator_again = type(operator).objects.get(pk=operator.pk)
    workspace = type(workspace).objects.get(pk=workspace.pk)  # permissions are cached on the instance
    assert p.user_can(operator_again, p.DEPLOYMENTS_CREATE, workspace)
    assert not p.user_can(operator_again, p.DEPLOYMENTS_CREATE, other_workspace)
    assert not p.user_can(type(author).objects.get(pk=author.pk), p.DEPLOYMENTS_CREATE, workspace)
    granted = WorkspaceGroupObjectPermission.objects.filter(
        permission__codename=p.DEPLOYMENTS_CREATE, group__workspace_role__role="operator"
    )
    assert sorted(granted.values_list("content_object_id", flat=True)) == sorted([workspace.pk, other_workspace.pk])
