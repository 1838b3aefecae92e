"""Direct foreign-key object-permission tables for django-guardian.

Faster than guardian's generic tables, and rows go away with their Workspace or Deployment.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class WorkspaceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE)


class WorkspaceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE)


class DeploymentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("envmanager.Deployment", on_delete=models.CASCADE)


class DeploymentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("envmanager.Deployment", on_delete=models.CASCADE)
