"""History of an object or an override, Revert to a version, and the Recently deleted pages with Restore.

Reading a history needs what reading the object needs; reverting needs what editing it needs, restoring
what deleting it needs. Another Workspace's ids answer 404 (`permissions.workspace_for_user`).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.models import EnvObject, ObjectVersion, Workspace
from envmanager.models.versions import RESTORE_DAYS
from envmanager.permissions import deployment_for_user, workspace_for_user
from envmanager.selectors import versions as version_selectors
from envmanager.services.version_restore import env_object_restore, version_revert
from envmanager.targets import Target
from envmanager.views.base import KIND_NOUNS, action_done, page_target, render_page, target_context, wants_fragment


@dataclass
class HistorySubject:
    """Whose history a page shows: an object's own, or its override in one target (`target`)."""

    workspace: Workspace
    object_id: int
    versions: object  # the history's queryset, newest first
    target: Target | None

    def url(self, page: str, *more) -> str:
        if self.target is not None:
            return self.target.url(f"override-{page}", self.object_id, *more)
        return reverse(f"envmanager:env-object-{page}", args=[self.workspace.pk, self.object_id, *more])

    def environment_url(self, kind: str, deployment_id: int | None) -> str:
        if self.target is not None:
            return self.target.url("environment", kind)
        if deployment_id is not None:
            return reverse("envmanager:deployment-environment", args=[self.workspace.pk, deployment_id, kind])
        return reverse("envmanager:workspace-environment", args=[self.workspace.pk, kind])


def _subject(request, workspace_id, object_id, deployment_id, ide_project_id, *, change: bool) -> HistorySubject:
    """Check the user may read (or, with `change`, revert) this history; 404 outside the Workspace."""
    workspace = workspace_for_user(
        request.user, workspace_id, perm=permissions.ENVOBJECTS_UPDATE if change else permissions.ENVOBJECTS_GET
    )
    target = None
    if deployment_id is not None or ide_project_id is not None:
        target = permissions.target_for_user(
            request.user, workspace, deployment_id=deployment_id, ide_project_id=ide_project_id,
            deployment_perm=permissions.DEPLOYMENT_UPDATE if change else permissions.DEPLOYMENT_GET,
        )
    versions = version_selectors.history_queryset(
        object_id, workspace_id=workspace.pk,
        link_deployment_id=target.deployment.pk if target and target.is_deployment else None,
        link_ide_project_id=target.ide_project.pk if target and not target.is_deployment else None,
    )
    return HistorySubject(workspace, object_id, versions, target)


def _check_object_scope(request, subject: HistorySubject, deployment_id: int | None, *, change: bool) -> None:
    """A Deployment object's history also needs that Deployment's permission (update, to revert)."""
    if subject.target is None and deployment_id is not None:
        deployment_for_user(
            request.user, subject.workspace, deployment_id,
            perm=permissions.DEPLOYMENT_UPDATE if change else permissions.DEPLOYMENT_GET,
        )


def _title(subject: HistorySubject, kind: str, key: str) -> str:
    label = f"{KIND_NOUNS[Kind(kind)]} '{key}'"
    return f"Override of {label} in {subject.target.label}" if subject.target else label[:1].upper() + label[1:]


@require_GET
@login_required
def history(request, workspace_id, object_id, deployment_id=None, ide_project_id=None):
    """The versions of an object (or of its override in one target), newest first, each change in words."""
    subject = _subject(request, workspace_id, object_id, deployment_id, ide_project_id, change=False)
    env_object = EnvObject.objects.filter(pk=object_id, workspace=subject.workspace).only("kind", "key", "deployment").first()
    exists = env_object is not None
    page = version_selectors.history_page(subject.versions, page=request.GET.get("page", 1), exists=exists)
    if page is None and not exists:
        raise Http404("No such object.")
    # An object written around the services (a bulk load) may have no version yet: an empty history.
    kind, key, scope = (page.kind, page.key, page.latest.deployment_id) if page else (
        env_object.kind, env_object.key, env_object.deployment_id
    )
    _check_object_scope(request, subject, scope, change=False)
    for row in page.rows if page else ():
        row.revert_url = subject.url("revert", row.version.number) if row.can_revert else ""
    context = {
        "workspace": subject.workspace, "history": page, "subject": subject, "exists": exists,
        "title": _title(subject, kind, key), "key": key, "list_url": subject.url("history"),
        "back_url": subject.environment_url(kind, scope),
        "deleted_url": reverse("envmanager:workspace-deleted", args=[subject.workspace.pk]),
    }
    return render_page(request, "envmanager/history.html", context, fragment="history-table")


@require_http_methods(["GET", "POST"])
@login_required
def revert(request, workspace_id, object_id, number, deployment_id=None, ide_project_id=None):
    """Confirm, then make the object (or override) hold what version `number` holds, as a new version."""
    subject = _subject(request, workspace_id, object_id, deployment_id, ide_project_id, change=True)
    version = get_object_or_404(subject.versions, number=number)
    _check_object_scope(request, subject, version.deployment_id, change=True)
    history_url = subject.url("history")
    error = None
    if request.method == "POST":
        try:
            new = version_revert(version=version, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return action_done(
                request, f"Reverted to version {version.number}; that is now version {new.number}.",
                redirect_to=history_url,
            )
    context = {
        "workspace": subject.workspace, "version": version, "title": _title(subject, version.kind, version.key),
        "state": version_selectors.version_state_lines(version), "error": error, "back_url": history_url,
        "action_url": subject.url("revert", version.number), "dialog": wants_fragment(request),
    }
    return render_page(request, "envmanager/version_revert.html", context, fragment="confirm")


@require_GET
@login_required
def deleted_list(request, workspace_id, deployment_id=None):
    """The Workspace's (or a Deployment's own) objects deleted in the last 30 days, newest first."""
    if deployment_id is None:
        workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
        context = {"workspace": workspace, "target": None}
    else:
        workspace, target = page_target(request, workspace_id, deployment_id, workspace_perm=permissions.ENVOBJECTS_GET)
        context = target_context(request, workspace, target)
    deleted = version_selectors.deleted_page(
        workspace_id=workspace.pk, deployment_id=deployment_id, page=request.GET.get("page", 1)
    )
    access = permissions.workspace_access(request.user, workspace)
    can_restore = access.can_delete_env_objects and (
        deployment_id is None or permissions.user_can(request.user, permissions.DEPLOYMENT_UPDATE, context["target"].deployment)
    )
    context.update(
        deleted=deleted, can_restore=can_restore, restore_days=RESTORE_DAYS, kind_nouns=KIND_NOUNS,
        list_url=request.path,
    )
    return render_page(request, "envmanager/deleted_list.html", context, fragment="deleted-table")


@require_POST
@login_required
def restore(request, workspace_id, version_id):
    """Bring back one deleted object with its links and overrides whose targets still exist."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_DELETE)
    version = get_object_or_404(
        ObjectVersion, pk=version_id, workspace=workspace, change=ObjectVersion.Change.DELETED,
        link_deployment__isnull=True, link_ide_project__isnull=True,
    )
    deployment = None
    if version.deployment_id is not None:
        deployment = deployment_for_user(request.user, workspace, version.deployment_id, perm=permissions.DEPLOYMENT_UPDATE)
    back = reverse("envmanager:deployment-deleted", args=[workspace.pk, deployment.pk]) if deployment \
        else reverse("envmanager:workspace-deleted", args=[workspace.pk])
    label = f"{KIND_NOUNS[Kind(version.kind)]} '{version.key}'"
    try:
        restored = env_object_restore(
            workspace=workspace, kind=version.kind, key=version.key, deployment=deployment, actor=request.user,
            deletion_id=version.pk,
        )
    except ValidationError as exc:
        return action_done(request, " ".join(exc.messages), redirect_to=back, level=messages.ERROR)
    message = f"Restored {label} with {restored.links} link{'s' if restored.links != 1 else ''}."
    if restored.skipped:
        message += f" {len(restored.skipped)} link(s) could not come back: their target was deleted."
    return action_done(request, message, redirect_to=back)
