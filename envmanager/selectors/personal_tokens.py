"""Reads of personal access tokens: a user's list, one by name."""

from django.core.exceptions import ValidationError

from envmanager.models import PersonalAccessToken


def personal_token_list(*, user):
    """Return the user's tokens, newest first, active and revoked."""
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-id")


def personal_token_get(*, user, name: str) -> PersonalAccessToken:
    """Return the user's active token called `name`; ValidationError if none."""
    token = PersonalAccessToken.objects.filter(user=user, name=name, revoked_at__isnull=True).first()
    if token is None:
        names = list(personal_token_list(user=user).filter(revoked_at__isnull=True).values_list("name", flat=True)[:20])
        known = ", ".join(f"'{n}'" for n in names) or "none"
        raise ValidationError(
            f"User '{user.get_username()}' has no active personal access token named '{name}'. Active: {known}."
        )
    return token
