"""Migration 0013 gives the Operators of existing Deployments `deployment.delete`."""

import pytest

from envmanager import permissions as p
from envmanager.models import DeploymentGroupObjectPermission

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("envmanager", "0012_audit_chain")]
AFTER = [("envmanager", "0013_operators_delete_deployments")]


def test_existing_operators_get_deployment_delete(migrator, workspace, dev, operator, author):
    # As before the migration: Operators lacked the permission on an existing Deployment.
    DeploymentGroupObjectPermission.objects.filter(
        content_object=dev, permission__codename=p.DEPLOYMENT_DELETE, group__workspace_role__role="operator"
    ).delete()
    operator_again = type(operator).objects.get(pk=operator.pk)
    assert not p.user_can(operator_again, p.DEPLOYMENT_DELETE, dev)

    migrator(BEFORE)
    migrator(AFTER)

    operator_again = type(operator).objects.get(pk=operator.pk)
    author_again = type(author).objects.get(pk=author.pk)
    assert p.user_can(operator_again, p.DEPLOYMENT_DELETE, dev)
    assert not p.user_can(author_again, p.DEPLOYMENT_DELETE, dev)
