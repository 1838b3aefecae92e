"""Workspace memberships and the per-role auth groups that carry their permissions.

The tables keep the names they had in the `accounts` app (`db_table`), so moving the models here
needed no table rebuild (migrations accounts 0003 and envmanager 0009).
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    OPERATOR = "operator", "Operator"
    AUTHOR = "author", "Author"
    MEMBER = "member", "Member"


class Membership(models.Model):
    """A user's role in one Workspace. The role's permissions come from its WorkspaceRoleGroup."""

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_membership"
        ordering = ["workspace_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_one_per_user_and_workspace"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} is {self.get_role_display()} of {self.workspace}"


class WorkspaceRoleGroup(models.Model):
    """The auth group that holds one role's object permissions on one Workspace and its Deployments.

    Changing a user's role is then a change of group, not a rewrite of permission rows.
    """

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="role_groups")
    role = models.CharField(max_length=20, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="workspace_role")

    class Meta:
        db_table = "accounts_workspacerolegroup"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "role"], name="rolegroup_one_per_workspace_and_role"),
        ]

    def __str__(self):
        return f"{self.workspace} {self.get_role_display()}"


class Invitation(models.Model):
    """A one-time link that lets an invited user set their first password.

    Only the SHA-256 of the link's token is stored: the token itself is shown once, to the Owner who
    invited. `used_at` makes the link single use; `expires_at` ends it.
    """

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation of {self.user} to {self.workspace}"
