"""The drift report of a Deployment: a card loaded into its overview after the page, or a page of its own."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from envmanager import permissions
from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.permissions import deployment_for_user, workspace_access, workspace_for_user
from envmanager.selectors.drift import DriftStatus, drift_report
from envmanager.selectors.migration import MigrationNotPossible
from envmanager.views.base import render_page


@require_GET
@login_required
def deployment_drift(request, workspace_id, deployment_id):
    """Keys envmanager and the metastore both hold (same / differs) and keys only in the metastore.

    Opens the remote database, so the overview loads it with htmx after the page (`#drift-card`).
    """
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_GET)
    context = {"workspace": workspace, "deployment": deployment, "access": workspace_access(request.user, workspace),
               "report": None, "error": None}
    try:
        report = drift_report(deployment=deployment)
    except (MigrationNotPossible, MetadataDatabaseError) as exc:
        context["error"] = str(exc)
    else:
        context.update(report=report, same=report.count(DriftStatus.SAME), differs=report.count(DriftStatus.DIFFERS))
    return render_page(request, "envmanager/drift.html", context, fragment="drift-card")
