"""Bulk link / unlink / delete on the Workspace Environment page: a GET asks (listing the keys and what
goes with them), the POST applies through services/bulk.py in one transaction."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.permissions import workspace_access, workspace_for_user
from envmanager.selectors import env_objects as env_object_selectors
from envmanager.services.bulk import BulkAction, env_objects_bulk_apply
from envmanager.views.base import KIND_NOUNS, action_done, safe_next
from envmanager.views.confirmations import Confirmation, render_confirmation

VERBS = {BulkAction.LINK: "Link", BulkAction.UNLINK: "Unlink", BulkAction.DELETE: "Delete"}


def _params(request):
    data = request.POST if request.method == "POST" else request.GET
    return data.get("action", ""), data.getlist("ids"), data.get("target", "")


def _selected_objects(workspace, ids) -> list[EnvObject]:
    """The selected Workspace objects, by type then key; 404 if any is not one of this Workspace's."""
    if not all(value.isdigit() and len(value) < 19 for value in ids):  # (a bigger number is no row's id)
        raise Http404("No such object.")
    wanted = {int(value) for value in ids}
    objects = list(EnvObject.objects.filter(workspace=workspace, deployment__isnull=True, pk__in=wanted))
    if len(objects) != len(wanted):
        raise Http404("No such object.")
    return sorted(objects, key=lambda obj: (env_object_selectors.KIND_ORDER[obj.kind], obj.key))


def _target(request, workspace, value: str):
    """Parse `deployment:<id>` / `ide_project:<id>`; the Deployment needs deployment.update."""
    kind, _, pk = value.partition(":")
    if kind not in ("deployment", "ide_project") or not pk.isdigit():
        return None
    return permissions.target_for_user(
        request.user, workspace, **{f"{kind}_id": int(pk)}, deployment_perm=permissions.DEPLOYMENT_UPDATE
    )


def _label(env_object) -> str:
    return f"{KIND_NOUNS[Kind(env_object.kind)].capitalize()} {env_object.key}"


def _what_goes(env_object, links) -> str:
    """One line of the delete confirmation: the key and the links and overrides deleted with it."""
    parts = []
    if env_object.linked_to_all:
        parts.append("linked to all Deployments")
    names = [target.name for target in links.deployments] + [f"IDE {target.name}" for target in links.ide_projects]
    if names:
        parts.append("links to " + ", ".join(names))
    if links.overridden_in:
        parts.append("overrides in " + ", ".join(links.overridden_in))
    return _label(env_object) + (f" — with its {'; '.join(parts)}" if parts else " — not linked anywhere")


def _confirmation(request, action, objects, target, ids, target_value, back) -> Confirmation:
    count = len(objects)
    noun = f"{count} object{'s' if count != 1 else ''}"
    if action == BulkAction.DELETE:
        summaries = env_object_selectors.link_summaries([obj.pk for obj in objects])
        items = tuple(_what_goes(obj, summaries[obj.pk]) for obj in objects)
        lead, tail = "These objects are deleted with their links and overrides:", ""
        note = "Deleted objects can be restored for 30 days from Recently deleted."
    else:
        items = tuple(_label(obj) for obj in objects)
        to_from = "to" if action == BulkAction.LINK else "from"
        tail = f" {to_from} {target.label}"
        lead = f"{'Linked' if action == BulkAction.LINK else 'Unlinked'} {to_from} {target.label}:"
        note = "" if action == BulkAction.LINK else f"{target.label}'s overrides of these objects are dropped."
    return Confirmation(
        verb=VERBS[action], subject=noun, tail=tail, action_url=request.path, back_url=back,
        submit_label=f"{VERBS[action]} {noun}", items=items, lead=lead, note=note,
        hidden=(("action", action), ("target", target_value), *(("ids", value) for value in ids)),
    )


@require_http_methods(["GET", "POST"])
@login_required
def workspace_bulk(request, workspace_id):
    """Confirm (GET) and apply (POST) one bulk action on the selected Workspace objects."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    access = workspace_access(request.user, workspace)
    action, ids, target_value = _params(request)
    if action not in BulkAction.CHOICES:
        raise Http404("No such bulk action.")
    allowed = access.can_delete_env_objects if action == BulkAction.DELETE else access.can_update_env_objects
    if not allowed:
        raise PermissionDenied("Your role may not change environment objects here.")
    objects = _selected_objects(workspace, ids)
    target = _target(request, workspace, target_value) if action in BulkAction.NEEDS_TARGET else None
    back = safe_next(request, reverse("envmanager:workspace-environment-home", args=[workspace.pk]))
    error = None
    if not objects:
        error = "Select at least one object first."
    elif action in BulkAction.NEEDS_TARGET and target is None:
        error = "Choose the Deployment or IDE project first."
    if error:
        return action_done(request, error, redirect_to=back, level=messages.ERROR)
    confirmation = _confirmation(request, action, objects, target, ids, target_value, back)
    if request.method == "POST":
        try:
            env_objects_bulk_apply(env_objects=objects, action=action, actor=request.user, target=target)
        except ValidationError as exc:
            return render_confirmation(request, workspace, confirmation, error=" ".join(exc.messages), status=400)
        done = {BulkAction.LINK: "Linked", BulkAction.UNLINK: "Unlinked", BulkAction.DELETE: "Deleted"}[action]
        return action_done(request, f"{done} {confirmation.subject}{confirmation.tail}.", redirect_to=back)
    return render_confirmation(request, workspace, confirmation)
