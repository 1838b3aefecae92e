"""Bulk actions on the ticked rows of an Environment list: a GET asks (listing the keys and what goes with
them), the POST applies through services/bulk.py in one transaction.

The Workspace Environment page links to / unlinks from a chosen target or deletes; a Deployment's or IDE
project's Environment tab unlinks from it, removes its overrides or deletes its own objects, naming the
ticked rows an action does not apply to and why.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.permissions import workspace_access, workspace_for_user
from envmanager.selectors import env_objects as env_object_selectors
from envmanager.selectors.bulk import BulkAction, TargetBulkPlan, target_bulk_plan
from envmanager.services.bulk import env_objects_bulk_apply, target_bulk_apply
from envmanager.targets import Target
from envmanager.views.base import KIND_NOUNS, action_done, page_target, safe_next, wants_fragment
from envmanager.views.confirmations import Confirmation, override_fields_lost, render_confirmation

VERBS = {BulkAction.LINK: "Link", BulkAction.UNLINK: "Unlink", BulkAction.DELETE: "Delete"}


def _params(request):
    data = request.POST if request.method == "POST" else request.GET
    return data.get("action", ""), data.getlist("ids"), data.get("target", "")


def _ids(values) -> set[int]:
    """The ids of a form's `ids` fields; 404 for anything that is no row's id."""
    # ASCII digits only ("²" is a digit to str.isdigit, not to int); a bigger number is no row's id.
    if not all(value.isascii() and value.isdigit() and len(value) < 19 for value in values):
        raise Http404("No such object.")
    return {int(value) for value in values}


WORKSPACE_OBJECTS = Q(deployment__isnull=True)


def _selected_objects(workspace, ids, scope=WORKSPACE_OBJECTS) -> list[EnvObject]:
    """The selected objects of this Workspace within `scope`, by type then key; 404 if any is not."""
    wanted = _ids(ids)
    objects = list(EnvObject.objects.filter(scope, workspace=workspace, pk__in=wanted))
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


def _refused(request, workspace, confirmation: Confirmation, exc: ValidationError):
    """Ask again with the reason nothing changed: in the dialog with 200, since htmx swaps only a success
    (a 400 would leave the old question up and say only "Something went wrong"); a plain page answers 400."""
    status = 200 if wants_fragment(request) else 400
    return render_confirmation(request, workspace, confirmation, error=" ".join(exc.messages), status=status)


@require_http_methods(["GET", "POST"])
@login_required
def workspace_bulk(request, workspace_id):
    """Confirm (GET) and apply (POST) one bulk action on the selected Workspace objects."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    access = workspace_access(request.user, workspace)
    action, ids, target_value = _params(request)
    if action not in BulkAction.WORKSPACE_CHOICES:
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
            return _refused(request, workspace, confirmation, exc)
        done = {BulkAction.LINK: "Linked", BulkAction.UNLINK: "Unlinked", BulkAction.DELETE: "Deleted"}[action]
        return action_done(request, f"{done} {confirmation.subject}{confirmation.tail}.", redirect_to=back)
    return render_confirmation(request, workspace, confirmation)


def workspace_bulk_actions(access) -> list[tuple[str, str]]:
    """The Workspace page's bulk bar: (action, label) for the actions the role may do."""
    actions = [(BulkAction.LINK, "Link to…"), (BulkAction.UNLINK, "Unlink from…")]
    if access.can_delete_env_objects:
        actions.append((BulkAction.DELETE, "Delete"))
    return actions


TARGET_LABELS = {BulkAction.UNLINK: "Unlink from {name}", BulkAction.REMOVE_OVERRIDE: "Remove override",
                 BulkAction.DELETE: "Delete"}


def _target_allowed(access, action: str, *, can_update_deployment: bool) -> bool:
    """The single actions' permissions: update (unlink, remove override) or delete, and on a Deployment
    `deployment.update` too (True for an IDE project, which has no permissions of its own)."""
    allowed = access.can_delete_env_objects if action == BulkAction.DELETE else access.can_update_env_objects
    return allowed and can_update_deployment


def target_bulk_actions(access, target: Target, *, can_update_deployment: bool) -> list[tuple[str, str]]:
    """A target's Environment tab's bulk bar: (action, label) for the actions the role may do there."""
    return [
        (action, TARGET_LABELS[action].format(name=target.name))
        for action in BulkAction.target_choices(target)
        if _target_allowed(access, action, can_update_deployment=can_update_deployment)
    ]


def _planned_label(row, target: Target) -> str:
    """One line of an unlink / remove override confirmation: the key and what of the target's is lost."""
    lost = override_fields_lost(row.link, row.env_object.kind) if row.has_override else ()
    if row.excludes:
        line = f"{_label(row.env_object)} — linked to all Deployments: {target.name} is excluded"
        return line + (f"; its override is dropped: {', '.join(lost)}" if lost else "")
    if lost:
        return f"{_label(row.env_object)} — its override is dropped: {', '.join(lost)}"
    return _label(row.env_object)


def _target_confirmation(request, plan: TargetBulkPlan, back) -> Confirmation:
    target, action, count = plan.target, plan.action, len(plan.rows)
    noun = f"{count} object{'s' if count != 1 else ''}"
    if action == BulkAction.UNLINK:
        verb, tail, submit = "Unlink", f" from {target.label}", f"Unlink {noun}"
        lead = f"{target.label} no longer receives these (the Workspace objects stay):"
        items = tuple(_planned_label(row, target) for row in plan.rows)
        note = "Linking them again does not bring an override back." if plan.dropped_override_ids else ""
    elif action == BulkAction.REMOVE_OVERRIDE:
        verb, tail = "Remove the overrides of", f" in {target.label}"
        submit = f"Remove {count} override{'s' if count != 1 else ''}"
        lead = f"{target.label} gets the Workspace values again. These overridden values are lost:"
        items = tuple(
            f"{_label(row.env_object)}: {', '.join(override_fields_lost(row.link, row.env_object.kind))}"
            for row in plan.rows
        )
        note = "This cannot be undone; a secret override cannot be read back to re-enter it."
    else:
        verb, tail, submit = "Delete", f" of {target.label}", f"Delete {noun}"
        lead = f"These objects of {target.label} are deleted:"
        items = tuple(_label(row.env_object) for row in plan.rows)
        note = "Deleted objects can be restored for 30 days from Recently deleted."
    return Confirmation(
        verb=verb, subject=noun, tail=tail, action_url=request.path, back_url=back, submit_label=submit,
        items=items, lead=lead, note=note,
        skipped=tuple(f"{_label(row.env_object)} — {row.reason}" for row in plan.skipped),
        hidden=(
            ("action", action), *(("ids", str(row.env_object.pk)) for row in plan.rows),
            *(("dropping_overrides", str(pk)) for pk in sorted(plan.dropped_override_ids)),
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def target_bulk(request, workspace_id, deployment_id=None, ide_project_id=None):
    """Confirm (GET) and apply (POST) one bulk action on the rows ticked on a target's Environment tab."""
    workspace, target = page_target(
        request, workspace_id, deployment_id, ide_project_id, workspace_perm=permissions.ENVOBJECTS_GET
    )
    data = request.POST if request.method == "POST" else request.GET
    action = data.get("action", "")
    if action not in BulkAction.target_choices(target):
        raise Http404("No such bulk action.")
    can_update_deployment = not target.is_deployment or permissions.user_can(
        request.user, permissions.DEPLOYMENT_UPDATE, target.deployment
    )
    if not _target_allowed(workspace_access(request.user, workspace), action, can_update_deployment=can_update_deployment):
        raise PermissionDenied("Your role may not change environment objects here.")
    # Workspace objects, and the Deployment's own: another Deployment's objects answer 404.
    scope = WORKSPACE_OBJECTS | Q(deployment_id=target.pk) if target.is_deployment else WORKSPACE_OBJECTS
    objects = _selected_objects(workspace, data.getlist("ids"), scope)
    back = safe_next(request, target.url("environment-home"))
    if not objects:
        return action_done(request, "Select at least one object first.", redirect_to=back, level=messages.ERROR)
    plan = target_bulk_plan(target=target, action=action, env_objects=objects)
    confirmation = _target_confirmation(request, plan, back)
    if request.method == "POST":
        try:
            target_bulk_apply(
                target=target, action=action, env_objects=objects, actor=request.user,
                dropping_overrides_of=_ids(data.getlist("dropping_overrides")),
            )
        except ValidationError as exc:
            return _refused(request, workspace, confirmation, exc)
        done = {BulkAction.UNLINK: "Unlinked", BulkAction.REMOVE_OVERRIDE: "Removed the overrides of",
                BulkAction.DELETE: "Deleted"}[action]
        return action_done(request, f"{done} {confirmation.subject}{confirmation.tail}.", redirect_to=back)
    if not plan.rows:
        reasons = "; ".join(confirmation.skipped)
        return action_done(request, f"Nothing to change: {reasons}.", redirect_to=back, level=messages.ERROR)
    return render_confirmation(request, workspace, confirmation)
