"""Workspace pages: overview, Deployments, IDE projects and the audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from envmanager import permissions
from envmanager.forms.deployments import DeploymentSettingsForm
from envmanager.permissions import (
    deployment_for_user,
    workspace_access,
    workspace_for_user,
)
from envmanager.selectors import audit_readable
from envmanager.selectors import workspaces as workspace_selectors
from envmanager.selectors.audit import workspace_audit_filters, workspace_audit_page
from envmanager.selectors.members import workspace_locked_out_members
from envmanager.selectors.migration import metadata_database_check
from envmanager.services import workspaces as deployment_services
from envmanager.services.members import member_sign_in_unlock
from envmanager.targets import TargetKind
from envmanager.views.base import (
    KIND_MENU_LABELS,
    KIND_SLUGS,
    action_done,
    no_store,
    page_target,
    render_page,
    save_form,
    target_context,
    wants_fragment,
)


@require_GET
@login_required
def workspace_detail(request, workspace_id):
    """Show a Workspace: where to go next, and how many objects of each type it holds."""
    workspace = workspace_for_user(request.user, workspace_id)
    access = workspace_access(request.user, workspace)
    counts = []
    if access.can_view_env_objects:
        counts = [
            {"kind": item.kind, "slug": KIND_SLUGS[item.kind], "label": KIND_MENU_LABELS[item.kind], "count": item.count}
            for item in workspace_selectors.workspace_env_object_counts(workspace=workspace)
        ]
    context = {
        "workspace": workspace, "access": access, "counts": counts,
        "deployment_count": workspace.deployments.count(), "ide_project_count": workspace.ide_projects.count(),
    }
    return render_page(request, "envmanager/workspace_detail.html", context)


@require_GET
@login_required
def target_list(request, workspace_id, target_kind: TargetKind):
    """List the Workspace's Deployments or its IDE projects (the route says which)."""
    workspace = workspace_for_user(request.user, workspace_id)
    access = workspace_access(request.user, workspace)
    context = {
        "workspace": workspace, "access": access, "target_kind": target_kind,
        "targets": workspace_selectors.workspace_target_list(workspace=workspace, target_kind=target_kind),
        "can_create_target": access.can_create_deployments if target_kind.is_deployment else access.can_manage_ide_projects,
        "create_url_name": f"envmanager:{target_kind.url_prefix}-create",
    }
    return render_page(request, "envmanager/target_list.html", context)


@require_GET
@login_required
def target_detail(request, workspace_id, deployment_id=None, ide_project_id=None):
    """Show a Deployment (its settings, secrets only as set / not set) or an IDE project, and its delivery panel."""
    workspace, target = page_target(request, workspace_id, deployment_id, ide_project_id)
    context = {
        **target_context(request, workspace, target),
        "can_update_deployment": target.is_deployment
        and permissions.user_can(request.user, permissions.DEPLOYMENT_UPDATE, target.deployment),
    }
    return render_page(request, "envmanager/target_detail.html", context)


@sensitive_post_parameters("metadata_db_url", "fernet_keys")
@require_http_methods(["GET", "POST"])
@login_required
def deployment_settings(request, workspace_id, deployment_id):
    """Change a Deployment's name, execution mode and (write-only) Airflow metadata database secrets."""
    workspace = workspace_for_user(request.user, workspace_id)
    deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_UPDATE)
    back = reverse("envmanager:deployment-detail", args=[workspace.pk, deployment.pk])
    initial = {"name": deployment.name, "execution_mode": deployment.execution_mode}
    can_set_metadata_db = permissions.user_can(request.user, permissions.DEPLOYMENT_METADATA_DB_UPDATE, deployment)
    form = DeploymentSettingsForm(request.POST or None, initial=initial, can_set_metadata_db=can_set_metadata_db)
    saved = save_form(
        request, form,
        lambda: deployment_services.deployment_update(deployment=deployment, actor=request.user, **form.update_kwargs()),
        message=lambda _: f"Saved the settings of Deployment '{form.cleaned_data['name']}'.", redirect_to=back,
    )
    if saved:
        return saved
    context = {
        "workspace": workspace, "deployment": deployment, "access": workspace_access(request.user, workspace),
        "form": form, "back_url": back, "dialog": wants_fragment(request),
        "can_delete_deployment": permissions.user_can(request.user, permissions.DEPLOYMENT_DELETE, deployment),
        "test_url": reverse("envmanager:deployment-metadata-db-test", args=[workspace.pk, deployment.pk]),
    }
    return render_page(request, "envmanager/deployment_settings.html", context, fragment="settings-form")


@sensitive_post_parameters("metadata_db_url", "fernet_keys")
@require_POST
@login_required
def deployment_metadata_db_test(request, workspace_id, deployment_id):
    """*Test connection*: open the URL typed in the settings form (or the stored one) read-only and say what
    it holds, or why it cannot be read. Owners only, as they alone set the URL; nothing is stored."""
    workspace = workspace_for_user(request.user, workspace_id)
    deployment = deployment_for_user(
        request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_METADATA_DB_UPDATE
    )
    check = metadata_database_check(deployment=deployment, url=request.POST.get("metadata_db_url") or None)
    response = render(request, "envmanager/deployment_settings.html#metadata-db-test", {"check": check})
    return no_store(response)


@require_GET
@login_required
def audit_list(request, workspace_id):
    """List the Workspace's audit entries, newest first, filtered by object key, actor, action, Deployment
    and date range; each change in words."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.AUDITLOGS_GET)
    audit_page = workspace_audit_page(workspace=workspace, page=request.GET.get("page", 1), **_audit_filters(request))
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace), "audit_page": audit_page,
        "list_url": reverse("envmanager:audit-list", args=[workspace.pk]),
        "export_url": reverse("envmanager:audit-export", args=[workspace.pk]),
    }
    return render_page(request, "envmanager/audit_list.html", context, fragment="audit-table")


def _audit_filters(request) -> dict:
    return {
        "key": request.GET.get("q", ""), "actor": request.GET.get("actor", ""), "action": request.GET.get("action", ""),
        "deployment": request.GET.get("deployment", ""), "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
    }


@require_GET
@login_required
def audit_export(request, workspace_id):
    """Download the entries the audit page's filters select, oldest first, as JSON lines or CSV."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.AUDITLOGS_GET)
    output_format = request.GET.get("format", "jsonl")
    if output_format not in audit_readable.EXPORT_FORMATS:
        raise Http404("No such export format.")
    filters = workspace_audit_filters(**_audit_filters(request))
    entries = audit_readable.filter_entries(audit_readable.export_entries(workspace_id=workspace.pk), **filters)
    content_type = "application/x-ndjson" if output_format == "jsonl" else "text/csv"
    response = StreamingHttpResponse(
        audit_readable.export_lines(entries.iterator(chunk_size=2000), output_format),
        content_type=f"{content_type}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-workspace-{workspace.pk}.{output_format}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def member_lockouts(request, workspace_id):
    """List the Workspace's members locked out of signing in; an Owner unlocks one (POST `username`)."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.WORKSPACE_MEMBERS_UPDATE)
    back = reverse("envmanager:member-lockouts", args=[workspace.pk])
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            member_sign_in_unlock(workspace=workspace, username=username, actor=request.user)
        except ValidationError as exc:
            return action_done(request, " ".join(exc.messages), redirect_to=back, level=messages.ERROR)
        return action_done(request, f"'{username}' can sign in again.", redirect_to=back)
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace),
        "lockouts": workspace_locked_out_members(workspace=workspace),
    }
    return render_page(request, "envmanager/member_lockouts.html", context)
