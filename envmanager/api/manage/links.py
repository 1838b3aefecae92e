"""Management API: one link of a Workspace object to a Deployment or IDE project (override, exclusion)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from envmanager import permissions
from envmanager.api.manage.auth import manage_view
from envmanager.api.manage.lookups import env_object_or_404
from envmanager.api.manage.objects import object_response
from envmanager.api.manage.shapes import BadRequest, expect, field_values, json_body, split_secret_clears
from envmanager.api.responses import api_raw
from envmanager.kinds import Kind
from envmanager.permissions import workspace_by_name_for_user
from envmanager.selectors.workspaces import ide_project_by_name
from envmanager.services import links as link_services
from envmanager.targets import Target

TARGET_KINDS = ("deployments", "ide-projects")


def _target(request, workspace, targets: str, name: str) -> Target:
    if targets not in TARGET_KINDS:
        raise Http404(f"Links go to {' or '.join(TARGET_KINDS)}, not '{targets}'.")
    if targets == "deployments":
        return Target(deployment=permissions.deployment_by_name_for_user(
            request.user, workspace, name, perm=permissions.DEPLOYMENT_UPDATE))
    try:
        return Target(ide_project=ide_project_by_name(workspace, name))
    except ValidationError as exc:  # no such IDE project in this Workspace
        raise Http404(" ".join(exc.messages)) from None


@manage_view("PUT", "DELETE")
def object_link(request, workspace: str, type: str, key: str, targets: str, name: str):
    """PUT links (or includes) the target, with `{"override": {...}}` per field, or `{"excluded": true}`;
    DELETE unlinks it."""
    workspace = workspace_by_name_for_user(request.user, workspace, perm=permissions.ENVOBJECTS_UPDATE)
    env_object = env_object_or_404(request, workspace, type, key)
    target = _target(request, workspace, targets, name)
    if request.method == "DELETE":
        link_services.link_delete(env_object=env_object, actor=request.user, target=target)
        return api_raw(b"", status=204)
    body = json_body(request, allowed={"override", "excluded"})
    excluded = expect(body, "excluded", (bool,), "true or false")
    if excluded and body.get("override"):
        raise BadRequest("An excluded Deployment receives nothing: give 'override' or 'excluded', not both.")
    kind = Kind(env_object.kind)
    override = field_values(kind, body.get("override"))
    with transaction.atomic():
        if excluded:
            link_services.link_exclude(env_object=env_object, actor=request.user, target=target)
        else:
            link_state(env_object, target, actor=request.user)
            if override:
                fields, clear = split_secret_clears(kind, env_object.is_secret, override)
                # A plain field given as null is no longer overridden (the service reads None so).
                link_services.link_set_override(env_object=env_object, actor=request.user, target=target,
                                                fields=fields, clear=clear)
    return object_response(env_object)


def link_state(env_object, target: Target, *, actor) -> None:
    """Make `target` receive `env_object`: include it again if excluded, link it unless linked to all."""
    excluded = env_object.links.filter(excluded=True, **target.row_filter).exists()
    if target.is_deployment and env_object.linked_to_all:
        if excluded:
            link_services.link_include(env_object=env_object, actor=actor, target=target)
        return
    link_services.link_create(env_object=env_object, actor=actor, target=target)
