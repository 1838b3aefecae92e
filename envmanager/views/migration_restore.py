"""Restore to Airflow: the confirmation page of one migration run, and the restore itself."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import MigrationRun
from envmanager.selectors.migration import MigrationNotPossible
from envmanager.selectors.migration_restore import AirflowStep, EnvmanagerStep, migration_restore_plan
from envmanager.services.migration_restore import MigrationInProgress, migration_restore_apply
from envmanager.views.base import render_page
from envmanager.views.migration import migration_scope


@require_http_methods(["GET", "POST"])
@login_required
def migration_restore(request, workspace_id, deployment_id, run_id):
    """GET: what a restore would write back into Airflow and remove from envmanager; POST: do it (Owners)."""
    workspace, deployment, access = migration_scope(request, workspace_id, deployment_id)
    run = get_object_or_404(MigrationRun, pk=run_id, deployment=deployment)
    result_url = reverse("envmanager:migration-result", args=[workspace.pk, deployment.pk, run.pk])
    if request.method == "POST":
        try:
            result = migration_restore_apply(deployment=deployment, run=run, actor=request.user)
        except (MigrationNotPossible, MetadataDatabaseError, MigrationInProgress) as exc:
            messages.error(request, f"The restore stopped: {exc} Rows already written back stay so; run it again.")
        else:
            messages.add_message(request, messages.SUCCESS if result.complete else messages.WARNING, result.sentence())
        return redirect(result_url)
    context = {
        "access": access, "workspace": workspace, "deployment": deployment, "run": run, "result_url": result_url,
        "kind_noun": KIND_SPECS[Kind(run.kind)].noun, "plan": None, "error": None,
    }
    try:
        plan = migration_restore_plan(deployment=deployment, run=run)
    except (MigrationNotPossible, MetadataDatabaseError) as exc:
        context["error"] = str(exc)
    else:
        context.update(
            plan=plan,
            writes=plan.by_step("airflow", AirflowStep.WRITE),
            there=plan.by_step("airflow", AirflowStep.THERE),
            skips=plan.by_step("airflow", AirflowStep.EXISTS),
            removals=plan.by_step("envmanager", EnvmanagerStep.REMOVE_OBJECT, EnvmanagerStep.UNDO_LINK),
            keeps=plan.by_step("envmanager", EnvmanagerStep.KEEP, EnvmanagerStep.GONE),
        )
    return render_page(request, "envmanager/migration_restore.html", context)
