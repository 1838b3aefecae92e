"""The helper data migrations 0005 and 0013 share grants one role exactly one Deployment permission."""

from django.apps import apps

from envmanager import permissions as p
from envmanager.migrations._permissions import grant_deployment_permission
from envmanager.models import DeploymentGroupObjectPermission


def _reloaded(user):
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


def test_grant_gives_the_role_the_permission_on_each_deployment_and_no_one_else(workspace, dev, prod, owner, operator):
    # As before migration 0005: nobody held the metadata database permission.
    DeploymentGroupObjectPermission.objects.filter(permission__codename=p.DEPLOYMENT_METADATA_DB_UPDATE).delete()
    assert not p.user_can(_reloaded(owner), p.DEPLOYMENT_METADATA_DB_UPDATE, dev)

    for _ in range(2):  # run again (a re-applied migration) adds nothing
        grant_deployment_permission(
            apps, codename=p.DEPLOYMENT_METADATA_DB_UPDATE, name="deployment.metadataDatabase.update",
            role="owner", role_group_app="envmanager",
        )

    owner, operator = _reloaded(owner), _reloaded(operator)
    assert p.user_can(owner, p.DEPLOYMENT_METADATA_DB_UPDATE, dev)
    assert p.user_can(owner, p.DEPLOYMENT_METADATA_DB_UPDATE, prod)
    assert not p.user_can(operator, p.DEPLOYMENT_METADATA_DB_UPDATE, dev)
    assert DeploymentGroupObjectPermission.objects.filter(
        permission__codename=p.DEPLOYMENT_METADATA_DB_UPDATE
    ).count() == 2
