"""What the management API's URLs name, found for the request's user: 404 outside their Workspaces, 403 without the role."""

from django.http import Http404

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.models import EnvObject, Workspace
from envmanager.selectors.api_objects import object_with_links


def kind_or_404(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise Http404(f"No object type '{value}'; types are {', '.join(k.value for k in Kind)}.") from None


def scope(request, workspace: Workspace, *, perm: str | None = None):
    """The Deployment `?deployment=NAME` names (None: the Workspace scope)."""
    name = request.GET.get("deployment")
    if not name:
        return None
    return permissions.deployment_by_name_for_user(request.user, workspace, name, perm=perm)


def env_object_or_404(request, workspace: Workspace, type: str, key: str, *, deployment_perm: str | None = None) -> EnvObject:
    kind = kind_or_404(type)
    deployment = scope(request, workspace, perm=deployment_perm)
    env_object = object_with_links(workspace=workspace, kind=kind, key=key, deployment=deployment)
    if env_object is None:
        where = f"Deployment '{deployment.name}'" if deployment else f"Workspace '{workspace.name}'"
        raise Http404(f"No {kind.label.lower()} '{key}' in {where}.")
    return env_object
