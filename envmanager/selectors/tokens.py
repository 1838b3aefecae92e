"""Reads of API tokens: a target's tokens, one active token by name."""

from django.core.exceptions import ValidationError
from django.db.models import F

from envmanager.models import ApiToken, Deployment, IdeProject
from envmanager.targets import Target


def api_token_list(*, target: Target | Deployment | IdeProject | None = None):
    """Return the tokens of one Deployment or IDE project, active first, newest first."""
    tokens = ApiToken.objects.select_related("created_by", "revoked_by").filter(**Target.of(target).row_filter)
    return tokens.order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")


def api_token_get(*, name: str, target: Target | Deployment | IdeProject | None = None) -> ApiToken:
    """Return the active token called `name` of a Deployment or IDE project; ValidationError if none."""
    target = Target.of(target)
    tokens = api_token_list(target=target).filter(revoked_at__isnull=True)
    api_token = tokens.filter(name=name).first()
    if api_token is None:
        known = ", ".join(f"'{n}'" for n in tokens.values_list("name", flat=True)[:20]) or "none"
        raise ValidationError(f"{target.label} has no active API token named '{name}'. Active tokens: {known}.")
    return api_token
