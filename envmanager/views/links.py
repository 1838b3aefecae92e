"""Linking Workspace objects to Deployments and IDE projects, exclusions, and overrides for either."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from envmanager import permissions
from envmanager.forms.environment import LinksForm, OverrideForm
from envmanager.forms.secrets import add_service_error
from envmanager.kinds import Kind
from envmanager.models import EnvObject, Link, Workspace
from envmanager.permissions import workspace_for_user
from envmanager.selectors.env_objects import env_object_link_state
from envmanager.services import link_sets as link_set_services
from envmanager.services import links as link_services
from envmanager.targets import Target
from envmanager.views.base import (
    ENV_CHANGED,
    KIND_NOUNS,
    action_done,
    render_page,
    safe_next,
    save_form,
    wants_fragment,
)
from envmanager.views.confirmations import Confirmation, override_fields_lost, render_confirmation


def _workspace_object(workspace, object_id) -> EnvObject:
    """Return a Workspace-scoped object of `workspace`; Deployment objects have no links (404)."""
    return get_object_or_404(EnvObject, pk=object_id, workspace=workspace, deployment__isnull=True)


def _label(env_object) -> str:
    return f"{KIND_NOUNS[Kind(env_object.kind)]} '{env_object.key}'"


def _links_page(request, workspace, env_object, form, state, *, back, dropping=()):
    context = {
        "workspace": workspace, "env_object": env_object, "form": form, "kind": Kind(env_object.kind),
        "kind_noun": KIND_NOUNS[Kind(env_object.kind)], "link_state": state,
        "back_url": back, "dialog": wants_fragment(request), "dropping": dropping,
        "form_checked_deployments": form.checked("deployments"),
        "form_checked_ide_projects": form.checked("ide_projects"),
        "form_checked_excluded": form.checked("excluded"),
        "form_mode_all": form["mode"].value() == LinksForm.MODE_ALL,
        "action_url": reverse("envmanager:env-object-links", args=[workspace.pk, env_object.pk]),
    }
    return render_page(request, "envmanager/env_object_links.html", context, fragment="links-form")


def _links_form(workspace, env_object, state, data=None) -> LinksForm:
    deployments = workspace.deployments.order_by("name")
    return LinksForm(
        data,
        deployments=deployments,
        ide_projects=workspace.ide_projects.order_by("name"),
        initial={
            "mode": LinksForm.MODE_ALL if env_object.linked_to_all else LinksForm.MODE_SELECTED,
            "deployments": state.linked_deployment_ids,
            "ide_projects": state.linked_ide_project_ids,
            "excluded": [target.id for target in state.deployments if target.excluded],
        },
    )


def _overrides_dropped(env_object, deployments) -> list[tuple[str, tuple[str, ...]]]:
    """Name each Deployment's overridden fields (secrets only as "(secret)") that excluding it drops."""
    links = Link.objects.filter(env_object=env_object, deployment__in=deployments).select_related("deployment")
    return [(link.deployment.name, override_fields_lost(link, env_object.kind)) for link in links.order_by("deployment__name")]


@require_http_methods(["GET", "POST"])
@login_required
def env_object_links(request, workspace_id, object_id):
    """Choose the Deployments (or all of them, but the excluded ones) and IDE projects that receive a Workspace
    object, with one Save. Excluding a Deployment that overrides the object asks first: it drops the override."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_UPDATE)
    env_object = _workspace_object(workspace, object_id)
    back = safe_next(request, reverse("envmanager:workspace-environment", args=[workspace.pk, env_object.kind]))
    state = env_object_link_state(env_object=env_object)
    form = _links_form(workspace, env_object, state, request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _links_page(request, workspace, env_object, form, state, back=back)
    try:
        link_set_services.env_object_links_set(env_object=env_object, actor=request.user, **form.links_kwargs())
    except link_set_services.ExclusionDropsOverrides as exc:
        dropping = _overrides_dropped(env_object, exc.deployments)
        return _links_page(request, workspace, env_object, form, state, back=back, dropping=dropping)
    except ValidationError as exc:
        add_service_error(form, exc)
        return _links_page(request, workspace, env_object, form, state, back=back)
    text = f"Saved the links of {_label(env_object)}."
    if not wants_fragment(request):
        return action_done(request, text, redirect_to=back)
    # In the dialog: it stays open and shows what was saved; the page's table refreshes (env-changed).
    messages.success(request, text)
    env_object.refresh_from_db()
    state = env_object_link_state(env_object=env_object)
    response = _links_page(request, workspace, env_object, _links_form(workspace, env_object, state), state, back=back)
    return trigger_client_event(response, ENV_CHANGED)


# Changes one target's link; each action is one service (an IDE project has only "unlink").
LINK_ACTIONS = {
    "exclude": (link_services.link_exclude, "Excluded {target} from {label}."),
    "include": (link_services.link_include, "{target} receives {label} again."),
    "unlink": (link_services.link_delete, "Unlinked {label} from {target}."),
}


def _unlink_confirmation(env_object, target, *, action_url: str, back: str) -> Confirmation:
    link = Link.objects.filter(env_object=env_object, excluded=False, **target.row_filter).first()
    lost = override_fields_lost(link, env_object.kind)
    items = [f"{target.label} no longer receives it (the Workspace object stays)."]
    if lost:
        items.append(f"The override in {target.label} is dropped: {', '.join(lost)}.")
    return Confirmation(
        verb=f"Unlink {KIND_NOUNS[Kind(env_object.kind)]}", subject=env_object.key, tail=f" from {target.label}",
        action_url=action_url, back_url=back, submit_label="Unlink", items=tuple(items),
        note="Linking it again does not bring an override back.",
    )


@require_http_methods(["GET", "POST"])
@login_required
def env_object_target_link(request, workspace_id, object_id, action, deployment_id=None, ide_project_id=None):
    """Exclude, include or unlink one Deployment, or unlink one IDE project, from a target's Environment tab
    (the links dialog saves all of them at once). Unlink asks first (GET): it drops the target's override."""
    if request.method == "GET" and action != "unlink":
        return HttpResponseNotAllowed(["POST"])
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_UPDATE)
    env_object = _workspace_object(workspace, object_id)
    target = permissions.target_for_user(
        request.user, workspace, deployment_id=deployment_id, ide_project_id=ide_project_id,
        deployment_perm=permissions.DEPLOYMENT_UPDATE,
    )
    service, message = LINK_ACTIONS[action]
    back = safe_next(request, target.url("environment", env_object.kind))
    if request.method == "GET":
        confirmation = _unlink_confirmation(env_object, target, action_url=request.path, back=back)
        return render_confirmation(request, workspace, confirmation)
    try:
        service(env_object=env_object, actor=request.user, target=target)
    except ValidationError as exc:
        level, text = messages.ERROR, " ".join(exc.messages)
    else:
        level, text = messages.SUCCESS, message.format(target=target.label, label=_label(env_object))
    return action_done(request, text, redirect_to=back, level=level)


@dataclass(frozen=True)
class OverridePage:
    """What an override page changes: a linked Workspace object, its link row (if any) and the target."""

    workspace: Workspace
    env_object: EnvObject
    link: Link | None
    back_url: str
    target: Target

    @property
    def has_override(self) -> bool:
        return bool(self.link and self.link.has_override)

    @property
    def edit_url(self) -> str:
        return self.target.url("override-edit", self.env_object.pk)

    @property
    def remove_url(self) -> str:
        return self.target.url("override-remove", self.env_object.pk)


def _override_page(request, workspace_id, object_id, *, deployment_id=None, ide_project_id=None) -> OverridePage:
    """Return what an override page changes; 404 outside the Workspace, 403 without the permissions.

    A Deployment also needs `deployment.update`; IDE projects have no permissions of their own, so
    Workspace `envObjects.update` decides alone.
    """
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_UPDATE)
    target = permissions.target_for_user(
        request.user, workspace, deployment_id=deployment_id, ide_project_id=ide_project_id,
        deployment_perm=permissions.DEPLOYMENT_UPDATE,
    )
    env_object = _workspace_object(workspace, object_id)
    link = Link.objects.filter(env_object=env_object, **target.row_filter).first()
    back = safe_next(request, target.url("environment", env_object.kind))
    return OverridePage(workspace, env_object, link, back, target)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@login_required
def override_edit(request, workspace_id, object_id, deployment_id=None, ide_project_id=None):
    """Give some fields of a Workspace object other values in one Deployment or IDE project."""
    page = _override_page(request, workspace_id, object_id, deployment_id=deployment_id, ide_project_id=ide_project_id)
    env_object, target = page.env_object, page.target
    form = OverrideForm(request.POST or None, env_object=env_object, link=page.link, target_noun=target.noun)
    saved = save_form(
        request, form,
        lambda: link_services.link_set_override(
            env_object=env_object, actor=request.user, target=target, **form.override_kwargs()
        ),
        message=f"Saved the override of {_label(env_object)} in {target.label}.", redirect_to=page.back_url,
        notices=form.notices,
    )
    if saved:
        return saved
    context = {
        "workspace": page.workspace, "target": target, "env_object": env_object, "form": form,
        "kind": Kind(env_object.kind), "kind_noun": KIND_NOUNS[Kind(env_object.kind)], "back_url": page.back_url,
        "dialog": wants_fragment(request), "has_override": page.has_override, "action_url": page.edit_url,
        "detail_url": target.url("detail"), "remove_url": page.remove_url,
    }
    return render_page(request, "envmanager/override_form.html", context, fragment="override-form")


@require_http_methods(["GET", "POST"])
@login_required
def override_remove(request, workspace_id, object_id, deployment_id=None, ide_project_id=None):
    """Remove every override of a Workspace object in one Deployment or IDE project, after a confirmation (GET)
    that names the fields whose values are lost."""
    page = _override_page(request, workspace_id, object_id, deployment_id=deployment_id, ide_project_id=ide_project_id)
    env_object, back, target = page.env_object, page.back_url, page.target
    if not page.has_override:
        return action_done(
            request, f"{target.label} has no override of {_label(env_object)}.", redirect_to=back, level=messages.ERROR
        )
    if request.method == "GET":
        lost = override_fields_lost(page.link, env_object.kind)
        return render_confirmation(request, page.workspace, Confirmation(
            verb=f"Remove the override of {KIND_NOUNS[Kind(env_object.kind)]}", subject=env_object.key,
            tail=f" in {target.label}", action_url=page.remove_url, back_url=back, submit_label="Remove override",
            lead=f"{target.label} gets the Workspace values again. These overridden values are lost:",
            items=lost, note="This cannot be undone; a secret override cannot be read back to re-enter it.",
        ))
    try:
        link_services.link_clear_override(env_object=env_object, actor=request.user, target=target)
    except ValidationError as exc:
        return action_done(request, " ".join(exc.messages), redirect_to=back, level=messages.ERROR)
    return action_done(request, f"Removed the override of {_label(env_object)} in {target.label}.", redirect_to=back)
