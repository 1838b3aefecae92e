"""Export downloads: a Deployment's or IDE project's effective environment as a file (secrets in clear; audited)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.forms.exports import ExportOptionsForm
from envmanager.management.utils import plural
from envmanager.selectors.exports import export_reveal
from envmanager.services import exports as export_services
from envmanager.views.base import no_store
from envmanager.views.confirmations import Confirmation, render_confirmation

_KEYS_LISTED = 20  # the confirmation names this many secret-holding objects, then counts the rest


def _export(request, target, export_format):
    form = ExportOptionsForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    export = export_services.environment_export_record(
        actor=request.user, export_format=export_format, options=form.options(), target=target
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return no_store(response)


def _confirm(request, workspace, target, export_format):
    form = ExportOptionsForm(request.GET)
    if not form.is_valid():
        return _refused(form)
    options = form.options()
    reveal = export_reveal(export_format=export_format, target=target, options=options)
    hidden = [("airflow", str(options.airflow_version))]
    if options.include_airflow_objects:
        hidden.append(("include_airflow_objects", "on"))
    secrets = reveal.secret_keys
    items = [f"{plural(reveal.objects, 'object')} of {target.label}, every value byte for byte."]
    if secrets:
        more = len(secrets) - _KEYS_LISTED
        shown = ", ".join(secrets[:_KEYS_LISTED]) + (f" and {more} more" if more > 0 else "")
        items.append(f"{plural(len(secrets), 'secret value')} in clear text: {shown}.")
    else:
        items.append("No secret values.")
    return no_store(render_confirmation(request, workspace, Confirmation(
        verb="Export", subject=target.name, tail=f" as {export_format}", action_url=request.path,
        back_url=target.url("detail"), submit_label="Download", lead="The file holds:", items=tuple(items),
        note="Anyone with the file can read these values. The download is recorded in the audit log "
             "(who, which target, which format; never a value).",
        hidden=tuple(hidden), download=True,
    )))


def _refused(form):
    return no_store(HttpResponseBadRequest("Unknown export options: " + " ".join(
        message for messages in form.errors.values() for message in messages
    ), content_type="text/plain; charset=utf-8"))


@require_http_methods(["GET", "POST"])
@login_required
def environment_export(request, workspace_id, export_format, deployment_id=None, ide_project_id=None):
    """Download a Deployment's or IDE project's effective environment (Owners and Operators: the Workspace's
    export permission). A GET asks first, saying how many secrets the file reveals; the POST downloads."""
    workspace = permissions.workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_EXPORT)
    target = permissions.target_for_user(
        request.user, workspace, deployment_id=deployment_id, ide_project_id=ide_project_id
    )
    if request.method == "GET":
        return _confirm(request, workspace, target, export_format)
    return _export(request, target, export_format)
