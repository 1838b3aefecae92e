"""Export downloads: a Deployment's or IDE project's effective environment as a file (secrets in clear; audited)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST

from envmanager import permissions
from envmanager.forms.exports import ExportOptionsForm
from envmanager.services import exports as export_services
from envmanager.views.base import no_store


def _export(request, target, export_format):
    form = ExportOptionsForm(request.POST)
    if not form.is_valid():
        return no_store(HttpResponseBadRequest("Unknown export options: " + " ".join(
            message for messages in form.errors.values() for message in messages
        ), content_type="text/plain; charset=utf-8"))
    export = export_services.environment_export_record(
        actor=request.user, export_format=export_format, options=form.options(), **target
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


@require_POST
@login_required
def deployment_export(request, workspace_id, deployment_id, export_format):
    """Download a Deployment's effective environment."""
    workspace = permissions.workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_EXPORT)
    deployment = permissions.deployment_for_user(request.user, workspace, deployment_id)
    return _export(request, {"deployment": deployment, "ide_project": None}, export_format)


@require_POST
@login_required
def ide_project_export(request, workspace_id, ide_project_id, export_format):
    """Download an IDE project's effective environment (the Workspace's export permission guards it)."""
    workspace = permissions.workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_EXPORT)
    ide_project = permissions.ide_project_for_user(request.user, workspace, ide_project_id)
    return _export(request, {"deployment": None, "ide_project": ide_project}, export_format)
