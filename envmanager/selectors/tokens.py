"""Reads of API tokens: a target's tokens, one active token by name."""

from django.core.exceptions import ValidationError
from django.db.models import F

from envmanager.models import ApiToken, Deployment, IdeProject


def _target_label(deployment: Deployment | None, ide_project: IdeProject | None) -> str:
    return f"Deployment '{deployment.name}'" if deployment else f"IDE project '{ide_project.name}'"


def api_token_list(*, deployment: Deployment | None = None, ide_project: IdeProject | None = None):
    """Return the tokens of one Deployment or IDE project, active first, newest first."""
    tokens = ApiToken.objects.select_related("created_by", "revoked_by")
    tokens = tokens.filter(deployment=deployment) if deployment else tokens.filter(ide_project=ide_project)
    return tokens.order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")


def api_token_get(
    *, name: str, deployment: Deployment | None = None, ide_project: IdeProject | None = None
) -> ApiToken:
    """Return the active token called `name` of a Deployment or IDE project; ValidationError if none."""
    tokens = api_token_list(deployment=deployment, ide_project=ide_project).filter(revoked_at__isnull=True)
    api_token = tokens.filter(name=name).first()
    if api_token is None:
        known = ", ".join(f"'{n}'" for n in tokens.values_list("name", flat=True)[:20]) or "none"
        raise ValidationError(
            f"{_target_label(deployment, ide_project)} has no active API token named '{name}'. Active tokens: {known}."
        )
    return api_token
