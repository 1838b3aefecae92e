from django.conf import settings
from django.db import models


class SSOIdentity(models.Model):
    """The identity provider's account (issuer and subject) that signs in as one envmanager user.

    The subject is what identifies a person at the provider for good; an email address can change hands.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_one_per_subject"),
            models.UniqueConstraint(fields=["issuer", "user"], name="sso_identity_one_per_user_and_issuer"),
        ]

    def __str__(self):
        return f"{self.user} signs in as {self.subject} at {self.issuer}"
