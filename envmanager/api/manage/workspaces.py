"""Management API: Workspaces the token's user is a member of, and a Deployment's effective environment."""

from envmanager import permissions
from envmanager.api.manage.auth import manage_view
from envmanager.api.responses import api_json
from envmanager.forms.secrets import secret_status
from envmanager.permissions import workspace_access, workspace_by_name_for_user
from envmanager.selectors.environment import entry_as_dict, target_effective_environment
from envmanager.selectors.workspaces import workspace_deployment_list, workspace_ide_project_list
from envmanager.targets import Target


@manage_view("GET")
def workspace_list(request):
    workspaces = permissions.visible_workspaces(request.user).order_by("name")
    return api_json({"items": [{"name": w.name} for w in workspaces]})


@manage_view("GET")
def workspace_detail(request, workspace: str):
    workspace = workspace_by_name_for_user(request.user, workspace)
    return api_json({
        "name": workspace.name,
        "deployments": [d.name for d in workspace_deployment_list(workspace=workspace)],
        "ide_projects": [p.name for p in workspace_ide_project_list(workspace=workspace)],
        "permissions": sorted(workspace_access(request.user, workspace).permissions),
    })


def _redacted(entry) -> dict:
    shaped = entry_as_dict(entry, reveal=False)
    for field in shaped["fields"].values():
        if field["secret"]:
            field["value"] = secret_status(field["is_set"])
    return shaped


@manage_view("GET")
def deployment_environment(request, workspace: str, name: str):
    """The Deployment's effective environment, each secret only as "set" / "not set"."""
    workspace = workspace_by_name_for_user(request.user, workspace, perm=permissions.ENVOBJECTS_GET)
    deployment = permissions.deployment_by_name_for_user(request.user, workspace, name, perm=permissions.DEPLOYMENT_GET)
    entries = target_effective_environment(target=Target(deployment=deployment))
    return api_json({"deployment": deployment.name, "entries": [_redacted(entry) for entry in entries]})
