"""Migrate from Airflow: the action on the Environment tab, the plan page, confirmation, and the summary."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from envmanager import permissions
from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.kinds import Kind
from envmanager.models import EnvObject, MigrationRun
from envmanager.permissions import deployment_for_user, workspace_access, workspace_for_user
from envmanager.selectors.migration import (
    MIGRATABLE_KINDS,
    MigrationNotPossible,
    airflow_migration_plan,
    airflow_object_counts,
    migration_unavailable_reason,
)
from envmanager.services.migration import MigrationInProgress, MigrationResult, airflow_migration_apply
from envmanager.services.migration_restore import RestoreResult
from envmanager.services.readers import deployment_readers_status, reader_wait_sentence
from envmanager.views.base import KIND_MENU_LABELS, KIND_NOUNS, render_page, wants_fragment


def migration_scope(request, workspace_id, deployment_id):
    """Return (workspace, deployment, access) for an Owner: 404 outside the Workspace, 403 for other roles."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_MIGRATE)
    deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_UPDATE)
    return workspace, deployment, workspace_access(request.user, workspace)


def _plan_url(workspace, deployment, kind) -> str:
    return reverse("envmanager:migration-plan", args=[workspace.pk, deployment.pk, kind])


@require_GET
@login_required
def migration_action(request, workspace_id, deployment_id, kind):
    """Return the Migrate from Airflow button, dimmed with the reason when there is nothing to migrate.

    Loaded after the page (it opens the metadata database), so the Environment tab never waits for it.
    """
    workspace, deployment, access = migration_scope(request, workspace_id, deployment_id)
    reason = migration_unavailable_reason(deployment)
    if reason is None and kind in MIGRATABLE_KINDS:
        counts = airflow_object_counts(deployment=deployment)
        if "error" in counts:
            reason = f"The Airflow metadata database cannot be read: {counts['error']}"
        elif counts[kind] == 0:
            reason = f"The Airflow metadata database holds no {KIND_NOUNS[kind]}s."
    context = {
        "access": access, "workspace": workspace, "deployment": deployment, "kind": kind, "reason": reason,
        "plan_url": _plan_url(workspace, deployment, kind),
    }
    return render_page(request, "envmanager/migration_plan.html", context, fragment="migrate-action")


def _plan_context(workspace, deployment, access, kind, **extra) -> dict:
    context = {
        "access": access, "workspace": workspace, "deployment": deployment, "kind": kind,
        "kind_label": KIND_MENU_LABELS[kind], "kind_noun": KIND_NOUNS[kind], "plan": None, "error": None,
        "back_url": reverse("envmanager:deployment-environment", args=[workspace.pk, deployment.pk, kind]),
        "plan_url": _plan_url(workspace, deployment, kind),
        **extra,
    }
    if context["error"] is None:
        try:
            context["plan"] = airflow_migration_plan(deployment=deployment, kind=kind)
        except (MigrationNotPossible, MetadataDatabaseError) as exc:
            context["error"] = str(exc)
    return context


def _selected_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("source"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


@require_http_methods(["GET", "POST"])
@login_required
def migration_plan(request, workspace_id, deployment_id, kind):
    """List what can be migrated; POST `step=confirm` asks for confirmation, `step=apply` migrates."""
    workspace, deployment, access = migration_scope(request, workspace_id, deployment_id)
    if kind not in MIGRATABLE_KINDS:
        context = _plan_context(
            workspace, deployment, access, kind,
            error="Only connections and Airflow variables can be migrated from Airflow.",
        )
        return render_page(request, "envmanager/migration_plan.html", context)
    if request.method == "POST" and request.POST.get("step") == "apply":
        return _apply(request, workspace, deployment, kind)
    context = _plan_context(workspace, deployment, access, kind, request_key=uuid.uuid4().hex)
    if request.method == "POST":
        selectable = {item.source_id for item in context["plan"].items if item.selectable} if context["plan"] else set()
        chosen = set(_selected_ids(request)) & selectable
        items = context["plan"].sorted_items() if context["plan"] else []
        selected = [item.source_id for item in items if item.source_id in chosen]
        context["selected_keys"] = [item.key for item in items if item.source_id in chosen]
        context.update(
            selected=selected, dialog=wants_fragment(request), confirming=True, keep_source=_keep_source(request),
            readers=deployment_readers_status(
                deployment=deployment, version=0, now=timezone.now(), grace=settings.ENVMANAGER_MIGRATION_READER_GRACE_SECONDS
            ).active,
            grace_seconds=settings.ENVMANAGER_MIGRATION_READER_GRACE_SECONDS,
        )
        if not selected:
            context["selection_error"] = "Select at least one row that can be migrated."
        # The confirmation is the dialog's content for htmx, a page of its own without JavaScript.
        return render_page(request, "envmanager/migration_plan.html", context, fragment="confirm")
    return render_page(request, "envmanager/migration_plan.html", context)


def _keep_source(request) -> bool:
    return request.POST.get("keep_source") == "1"


def migrated_object_urls(workspace, run) -> dict[str, str]:
    """{key: its Workspace object's page} for the keys the run migrated or overrode (one query)."""
    summary = run.summary or {}
    keys = summary.get("migrated", []) + summary.get("overridden", [])
    objects = EnvObject.objects.filter(
        workspace=workspace, deployment__isnull=True, kind=run.kind, key__in=keys
    ).values_list("key", "pk")
    return {key: reverse("envmanager:env-object-edit", args=[workspace.pk, pk]) for key, pk in objects}


def _apply(request, workspace, deployment, kind):
    request_key = (request.POST.get("request_key") or "")[:64] or None
    try:
        result = airflow_migration_apply(
            deployment=deployment, kind=kind, source_ids=_selected_ids(request), actor=request.user,
            request_key=request_key, keep_source=_keep_source(request),
        )
    except (MigrationNotPossible, MetadataDatabaseError, MigrationInProgress) as exc:
        messages.error(request, f"Nothing was migrated: {exc}")
        target = _plan_url(workspace, deployment, kind)
    else:
        level = messages.WARNING if result.failed else messages.SUCCESS
        messages.add_message(
            request, level,
            f"Migrated {len(result.migrated)}, overridden {len(result.overridden)}, skipped {len(result.skipped)}, "
            f"failed {len(result.failed)}.",
        )
        target = reverse("envmanager:migration-result", args=[workspace.pk, deployment.pk, result.run.pk])
    # The whole page changes: a full navigation, also when the request came from the htmx dialog.
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@require_GET
@login_required
def migration_result(request, workspace_id, deployment_id, run_id):
    """Show what one migration did: migrated, overridden, skipped (with reasons), failed."""
    workspace, deployment, access = migration_scope(request, workspace_id, deployment_id)
    run = get_object_or_404(MigrationRun, pk=run_id, deployment=deployment)
    kind = Kind(run.kind)
    result, urls = MigrationResult.from_run(run), migrated_object_urls(workspace, run)
    context = {
        "access": access, "workspace": workspace, "deployment": deployment, "run": run, "result": result,
        "migrated_links": [(key, urls.get(key)) for key in result.migrated],
        "overridden_links": [(key, urls.get(key)) for key in result.overridden],
        "restore": RestoreResult.from_run(run) if run.snapshots.exclude(restore_state="pending").exists() else None,
        "restorable": run.finished_at is not None and run.restored_at is None and run.snapshots.exists(),
        "reader_wait": reader_wait_sentence(run.summary["reader_wait"]) if (run.summary or {}).get("reader_wait") else "",
        "kind": kind, "kind_label": KIND_MENU_LABELS[kind],
        "back_url": reverse("envmanager:deployment-environment", args=[workspace.pk, deployment.pk, kind]),
        "plan_url": _plan_url(workspace, deployment, kind),
    }
    return render_page(request, "envmanager/migration_result.html", context)
