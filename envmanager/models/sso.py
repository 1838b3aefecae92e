from django.conf import settings
from django.db import models


class SSORoleGrant(models.Model):
    """A membership that the identity provider's role claim granted (services/sso_roles.py).

    Only these are taken away when the claim stops naming the Workspace; memberships an Owner gave by
    hand stay.
    """

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="sso_role_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_role_grants")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="sso_role_grant_one_per_user_and_workspace"),
        ]

    def __str__(self):
        return f"{self.user}'s membership of {self.workspace} comes from the role claim"
