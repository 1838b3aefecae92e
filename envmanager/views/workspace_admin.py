"""Creating a Workspace from the home page and renaming one."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.forms.team import NameForm
from envmanager.permissions import workspace_access, workspace_for_user
from envmanager.services import workspaces as workspace_services
from envmanager.views.base import render_page
from envmanager.views.saving import save_form


def _workspace_url(workspace) -> str:
    return reverse("envmanager:workspace-detail", args=[workspace.pk])


@require_http_methods(["GET", "POST"])
@login_required
def workspace_create(request):
    """Create a Workspace; its creator becomes its Owner (staff, or anyone if ENVMANAGER_ALLOW_WORKSPACE_CREATE)."""
    if not permissions.may_create_workspace(request.user):
        raise PermissionDenied("Only staff users create Workspaces here.")
    form = NameForm(request.POST or None)
    response = save_form(
        request, form,
        lambda data: workspace_services.workspace_create_as_owner(name=data["name"], actor=request.user),
        message=lambda workspace: f"Created Workspace '{workspace.name}'. You are its Owner.", redirect_to=_workspace_url,
    )
    context = {"form": form, "title": "New Workspace", "submit": "Create Workspace", "back_url": reverse("envmanager:home")}
    return response or render_page(request, "envmanager/workspace_create.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def workspace_rename(request, workspace_id):
    """Rename the Workspace (Owners); then show its page under the new name."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.WORKSPACE_UPDATE)
    form = NameForm(request.POST or None, initial={"name": workspace.name})
    response = save_form(
        request, form,
        lambda data: workspace_services.workspace_rename(workspace=workspace, name=data["name"], actor=request.user),
        message=lambda renamed: f"Renamed the Workspace to '{renamed.name}'.", redirect_to=_workspace_url,
    )
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "form": form,
        "title": f"Rename Workspace {workspace.name}", "submit": "Rename", "back_url": _workspace_url(workspace),
    }
    return response or render_page(request, "envmanager/name_form.html", context)
