"""Finding environment objects by their natural address (type, key, scope)."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject, Link, Workspace
from envmanager.selectors.environment import KIND_ORDER


def scope_label(deployment: Deployment | None) -> str:
    return f"Deployment '{deployment.name}'" if deployment else "the Workspace"


def env_object_identity(env_object: EnvObject) -> dict:
    """Return what names an object and its scope (no field values): shared by the audit log and `env_list`."""
    return {
        "key": env_object.key,
        "scope": "deployment" if env_object.deployment_id else "workspace",
        "deployment": env_object.deployment.name if env_object.deployment_id else None,
        "is_secret": env_object.is_secret,
        "linked_to_all": env_object.linked_to_all,
    }


def env_object_get(*, workspace: Workspace, kind: Kind | str, key: str, deployment: Deployment | None = None) -> EnvObject:
    """Return the object of `kind` and `key` in the given scope; ValidationError if there is none."""
    kind = Kind(kind)
    objects = EnvObject.objects.select_related("deployment", "workspace").filter(workspace=workspace, kind=kind, key=key)
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    env_object = objects.first()
    if env_object is None:
        raise ValidationError(f"No {kind.label.lower()} '{key}' in {scope_label(deployment)}.")
    return env_object


def env_object_list(*, workspace: Workspace, deployment: Deployment | None, kinds=None) -> list[EnvObject]:
    """Return the objects of one scope, ordered by type then key, with their links (two queries)."""
    links = Link.objects.select_related("deployment", "ide_project")
    objects = EnvObject.objects.filter(workspace=workspace).prefetch_related(Prefetch("links", queryset=links))
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    if kinds:
        objects = objects.filter(kind__in=kinds)
    return sorted(objects, key=lambda obj: (KIND_ORDER[obj.kind], obj.key))
