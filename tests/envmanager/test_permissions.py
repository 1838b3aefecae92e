"""Roles grant object permissions per Workspace; outside a Workspace a user gets 404, never data."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from envmanager import permissions as p
from envmanager.models import Membership, Role
from envmanager.services.members import membership_remove, membership_set
from tests.factories import DeploymentFactory, UserFactory

WORKSPACE_MATRIX = {
    p.WORKSPACE_GET: {Role.OWNER, Role.OPERATOR, Role.AUTHOR, Role.MEMBER},
    p.WORKSPACE_UPDATE: {Role.OWNER},
    p.WORKSPACE_MEMBERS_UPDATE: {Role.OWNER},
    p.ENVOBJECTS_GET: {Role.OWNER, Role.OPERATOR, Role.AUTHOR},
    p.ENVOBJECTS_CREATE: {Role.OWNER, Role.OPERATOR},
    p.ENVOBJECTS_UPDATE: {Role.OWNER, Role.OPERATOR},
    p.ENVOBJECTS_DELETE: {Role.OWNER, Role.OPERATOR},
    p.ENVOBJECTS_EXPORT: {Role.OWNER, Role.OPERATOR},
    p.ENVOBJECTS_MIGRATE: {Role.OWNER},
    p.DEPLOYMENTS_CREATE: {Role.OWNER, Role.OPERATOR},  # issue #16: Operators manage Deployments (0015)
    p.AUDITLOGS_GET: {Role.OWNER, Role.OPERATOR},
}
DEPLOYMENT_MATRIX = {
    p.DEPLOYMENT_GET: {Role.OWNER, Role.OPERATOR, Role.AUTHOR, Role.MEMBER},
    p.DEPLOYMENT_UPDATE: {Role.OWNER, Role.OPERATOR},
    p.DEPLOYMENT_METADATA_DB_UPDATE: {Role.OWNER},
    p.DEPLOYMENT_DELETE: {Role.OWNER, Role.OPERATOR},  # issue #16: Operators manage Deployments
    p.DEPLOYMENT_APITOKENS_MANAGE: {Role.OWNER, Role.OPERATOR},
}


@pytest.fixture
def users_by_role(owner, operator, author, member, outsider):
    return {Role.OWNER: owner, Role.OPERATOR: operator, Role.AUTHOR: author, Role.MEMBER: member, None: outsider}


def test_every_permission_is_covered_by_the_matrix():
    assert set(WORKSPACE_MATRIX) | set(DEPLOYMENT_MATRIX) == set(p.PERMISSION_LABELS)


@pytest.mark.parametrize("perm", sorted(WORKSPACE_MATRIX))
def test_workspace_permissions_by_role(workspace, users_by_role, perm):
    granted = {role for role, user in users_by_role.items() if p.user_can(user, perm, workspace)}
    assert granted == WORKSPACE_MATRIX[perm]


@pytest.mark.parametrize("perm", sorted(DEPLOYMENT_MATRIX))
def test_deployment_permissions_by_role_cover_deployments_created_later(workspace, users_by_role, perm):
    deployment = DeploymentFactory(workspace=workspace)  # created after the memberships
    granted = {role for role, user in users_by_role.items() if p.user_can(user, perm, deployment)}
    assert granted == DEPLOYMENT_MATRIX[perm]


def test_permissions_hold_only_in_the_members_workspace(workspace, other_workspace, owner):
    assert p.user_can(owner, p.ENVOBJECTS_CREATE, workspace)
    assert not p.user_can(owner, p.WORKSPACE_GET, other_workspace)
    assert not p.user_can(owner, p.DEPLOYMENT_GET, DeploymentFactory(workspace=other_workspace))


def test_role_change_revokes_the_old_roles_permissions(workspace, operator):
    membership_set(workspace=workspace, user=operator, role=Role.AUTHOR, actor=None)
    operator = type(operator).objects.get(pk=operator.pk)  # drop Django's per-user permission cache

    assert not p.user_can(operator, p.ENVOBJECTS_UPDATE, workspace)
    assert p.user_can(operator, p.ENVOBJECTS_GET, workspace)
    assert Membership.objects.get(user=operator).role == Role.AUTHOR
    assert operator.groups.count() == 1


def test_removed_member_loses_everything(workspace, owner, operator):
    membership_remove(workspace=workspace, user=operator, actor=None)
    operator = type(operator).objects.get(pk=operator.pk)

    assert not p.user_can(operator, p.WORKSPACE_GET, workspace)
    with pytest.raises(Http404):
        p.workspace_for_user(operator, workspace.pk)


def test_workspace_for_user_is_404_for_outsiders_and_403_for_members_without_the_permission(
    workspace, outsider, author
):
    with pytest.raises(Http404):
        p.workspace_for_user(outsider, workspace.pk)
    with pytest.raises(Http404):
        p.workspace_for_user(outsider, workspace.pk, perm=p.ENVOBJECTS_GET)
    with pytest.raises(PermissionDenied):
        p.workspace_for_user(author, workspace.pk, perm=p.ENVOBJECTS_CREATE)
    assert p.workspace_for_user(author, workspace.pk, perm=p.ENVOBJECTS_GET) == workspace


def test_deployment_for_user_is_404_for_a_deployment_of_another_workspace(workspace, other_workspace, owner):
    foreign = DeploymentFactory(workspace=other_workspace)
    with pytest.raises(Http404):
        p.deployment_for_user(owner, workspace, foreign.pk)


def test_anonymous_and_inactive_users_see_nothing(workspace, owner):
    from django.contrib.auth.models import AnonymousUser

    assert not p.visible_workspaces(AnonymousUser()).exists()
    owner.is_active = False
    owner.save()
    assert not p.visible_workspaces(owner).exists()
    assert not p.user_can(owner, p.WORKSPACE_GET, workspace)


def test_visible_workspaces_lists_only_memberships(workspace, other_workspace, owner):
    assert list(p.visible_workspaces(owner)) == [workspace]
    assert list(p.visible_workspaces(UserFactory())) == []


def test_workspace_access_exposes_role_booleans(workspace, operator, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        access = p.workspace_access(operator, workspace)
    assert access.can_update_env_objects and access.can_export and not access.can_migrate


def test_deployment_permissions_prefetch_is_flat(workspace, operator, django_assert_max_num_queries):
    deployments = [DeploymentFactory(workspace=workspace) for _ in range(6)]
    with django_assert_max_num_queries(3):
        perms = p.deployment_permissions(operator, deployments)
    assert all(p.DEPLOYMENT_UPDATE in perms[d.pk] for d in deployments)


def _granted(model, obj):
    return {
        (row.group.workspace_role.role, row.permission.codename)
        for row in model.objects.filter(content_object=obj).select_related("group__workspace_role", "permission")
    }


def test_role_groups_and_deployments_get_exactly_the_role_maps_rows(workspace, django_assert_num_queries):
    from envmanager.models import DeploymentGroupObjectPermission, WorkspaceGroupObjectPermission

    assert _granted(WorkspaceGroupObjectPermission, workspace) == {
        (role, codename) for role, codenames in p.ROLE_WORKSPACE_PERMISSIONS.items() for codename in codenames
    }
    deployment = DeploymentFactory(workspace=workspace, name="later")
    expected = {(role, codename) for role, codenames in p.ROLE_DEPLOYMENT_PERMISSIONS.items() for codename in codenames}
    assert _granted(DeploymentGroupObjectPermission, deployment) == expected

    with django_assert_num_queries(3):  # the permissions, the role groups, one insert
        p.deployment_permissions_grant(deployment=deployment)  # again: nothing new, nothing fails
    assert _granted(DeploymentGroupObjectPermission, deployment) == expected
