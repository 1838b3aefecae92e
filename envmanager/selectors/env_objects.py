"""Finding environment objects by their natural address (type, key, scope)."""

from django.core.exceptions import ValidationError

from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject, Workspace


def scope_label(deployment: Deployment | None) -> str:
    return f"Deployment '{deployment.name}'" if deployment else "the Workspace"


def env_object_get(*, workspace: Workspace, kind: Kind | str, key: str, deployment: Deployment | None = None) -> EnvObject:
    """Return the object of `kind` and `key` in the given scope; ValidationError if there is none."""
    kind = Kind(kind)
    objects = EnvObject.objects.select_related("deployment", "workspace").filter(workspace=workspace, kind=kind, key=key)
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    env_object = objects.first()
    if env_object is None:
        raise ValidationError(f"No {kind.label.lower()} '{key}' in {scope_label(deployment)}.")
    return env_object
