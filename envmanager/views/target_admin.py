"""Creating Deployments and IDE projects, and renaming IDE projects (a Deployment's edit page is its settings)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.forms.deployments import DeploymentCreateForm
from envmanager.forms.team import NameForm
from envmanager.models import IdeProject
from envmanager.permissions import workspace_access, workspace_for_user
from envmanager.services import workspaces as workspace_services
from envmanager.views.base import render_page
from envmanager.views.saving import save_form


@sensitive_post_parameters("metadata_db_url", "fernet_keys")
@require_http_methods(["GET", "POST"])
@login_required
def deployment_create(request, workspace_id):
    """Create a Deployment (Owners and Operators); only Owners give it a metadata database URL and keys."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.DEPLOYMENTS_CREATE)
    can_set_metadata_db = permissions.user_can(request.user, permissions.NEW_DEPLOYMENT_METADATA_DB, workspace)
    form = DeploymentCreateForm(request.POST or None, can_set_metadata_db=can_set_metadata_db)
    response = save_form(
        request, form,
        lambda data: workspace_services.deployment_create(workspace=workspace, actor=request.user, **form.create_kwargs()),
        message=lambda deployment: f"Created Deployment '{deployment.name}'.",
        redirect_to=lambda deployment: reverse("envmanager:deployment-detail", args=[workspace.pk, deployment.pk]),
    )
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "form": form,
        "back_url": reverse("envmanager:deployment-list", args=[workspace.pk]),
    }
    return response or render_page(request, "envmanager/deployment_create.html", context)


def _name_page(request, *, workspace, form, title: str, submit: str, back_url: str):
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "form": form,
        "title": title, "submit": submit, "back_url": back_url,
    }
    return render_page(request, "envmanager/name_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def ide_project_create(request, workspace_id):
    """Create an IDE project (Owners and Operators)."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.IDE_PROJECT_MANAGE)
    form = NameForm(request.POST or None)
    response = save_form(
        request, form,
        lambda data: workspace_services.ide_project_create(workspace=workspace, name=data["name"], actor=request.user),
        message=lambda project: f"Created IDE project '{project.name}'.",
        redirect_to=lambda project: reverse("envmanager:ide-project-detail", args=[workspace.pk, project.pk]),
    )
    return response or _name_page(
        request, workspace=workspace, form=form, title="New IDE project", submit="Create IDE project",
        back_url=reverse("envmanager:ide-project-list", args=[workspace.pk]),
    )


@require_http_methods(["GET", "POST"])
@login_required
def ide_project_rename(request, workspace_id, ide_project_id):
    """Rename an IDE project (Owners and Operators)."""
    workspace = workspace_for_user(request.user, workspace_id)
    project = get_object_or_404(IdeProject, pk=ide_project_id, workspace=workspace)
    permissions.require(request.user, permissions.IDE_PROJECT_MANAGE, workspace)
    back = reverse("envmanager:ide-project-detail", args=[workspace.pk, project.pk])
    form = NameForm(request.POST or None, initial={"name": project.name})
    response = save_form(
        request, form,
        lambda data: workspace_services.ide_project_rename(ide_project=project, name=data["name"], actor=request.user),
        message=lambda renamed: f"Renamed the IDE project to '{renamed.name}'.", redirect_to=lambda renamed: back,
    )
    return response or _name_page(
        request, workspace=workspace, form=form, title=f"Rename IDE project {project.name}", submit="Rename",
        back_url=back,
    )
