from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from envmanager.models.tokens import HashedToken


class PersonalAccessToken(HashedToken):
    """A user's bearer token for the management API (`emp_…`): acts with its user's current roles."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens")
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "personal access token"
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=r"\S"), name="pat_name_not_blank"),
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked_at__isnull=True), name="pat_unique_active_name_per_user"
            ),
        ]

    @property
    def state(self) -> str:
        """"revoked", "expired" or "active", as the API tokens page shows it."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"

    @property
    def label(self) -> str:
        """How audit entries and pages name the token (never its value)."""
        return f"personal access token '{self.name}' ({self.prefix}…)"


class IdempotentRequest(models.Model):
    """The first answer to a management-API POST sent with an `Idempotency-Key`: a retry gets it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    # SHA-256 of the request body: the same key with another body is a client error (422).
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response_body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_unique_key_per_user")]

    def __str__(self):
        return f"{self.method} {self.path} ({self.key})"
