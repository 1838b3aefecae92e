from django.conf import settings
from django.db import models
from django.db.models import Q

from envmanager.models.target_fields import exactly_one_target

TOKEN_NAME_MAX_LENGTH = 100


class HashedToken(models.Model):
    """What every bearer token stores: the read API's `ApiToken` and the management API's `PersonalAccessToken`.

    The token is shown once, and only a SHA-256 hash of it is stored. The token is 256 random bits, so
    a fast hash is enough (nothing to brute-force) and lets a request find its row with one indexed lookup.
    """

    name = models.CharField(max_length=TOKEN_NAME_MAX_LENGTH)
    # The first characters of the token, shown in lists so people can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute per token, not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<{type(self).__name__} {self.pk} {self.name!r} {self.prefix}…>"


class ApiToken(HashedToken):
    """A bearer token for the read API: reads one Deployment's (or IDE project's) effective environment."""

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="api_tokens")
    deployment = models.ForeignKey(
        "envmanager.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    ide_project = models.ForeignKey(
        "envmanager.IdeProject", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            exactly_one_target("apitoken_exactly_one_target"),
            models.CheckConstraint(condition=Q(name__regex=r"\S"), name="apitoken_name_not_blank"),
            models.UniqueConstraint(
                fields=["deployment", "name"],
                condition=Q(revoked_at__isnull=True, deployment__isnull=False),
                name="apitoken_unique_active_name_per_deployment",
            ),
            models.UniqueConstraint(
                fields=["ide_project", "name"],
                condition=Q(revoked_at__isnull=True, ide_project__isnull=False),
                name="apitoken_unique_active_name_per_ide_project",
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
