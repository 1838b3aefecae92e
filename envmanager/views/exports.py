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
        actor=request.user, export_format=export_format, options=form.options(), target=target
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


@require_POST
@login_required
def environment_export(request, workspace_id, export_format, deployment_id=None, ide_project_id=None):
    """Download a Deployment's or IDE project's effective environment (the Workspace's export permission guards it)."""
    workspace = permissions.workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_EXPORT)
    target = permissions.target_for_user(
        request.user, workspace, deployment_id=deployment_id, ide_project_id=ide_project_id
    )
    return _export(request, target, export_format)
