"""Environment pages: the Workspace's objects, a Deployment's and an IDE project's, and editing them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from envmanager import permissions
from envmanager.forms.environment import EnvObjectForm
from envmanager.kinds import Kind
from envmanager.models import Deployment, EnvObject
from envmanager.permissions import deployment_for_user, workspace_access, workspace_for_user
from envmanager.selectors import env_objects as env_object_selectors
from envmanager.selectors import environment as environment_selectors
from envmanager.selectors import workspaces as workspace_selectors
from envmanager.selectors.migration import MIGRATABLE_KINDS
from envmanager.services import env_objects as env_object_services
from envmanager.views.base import (
    KIND_MENU_LABELS,
    KIND_NOUNS,
    action_done,
    kind_menu,
    page_target,
    render_page,
    safe_next,
    save_form,
    target_context,
    wants_fragment,
)
from envmanager.views.bulk import target_bulk_actions, workspace_bulk_actions


def _list_params(request) -> dict:
    return {
        "query": request.GET.get("q", ""),
        "sort": request.GET.get("sort", ""),
        "page": request.GET.get("page", 1),
    }


def _set_row_permissions(user, access, rows) -> None:
    """Mark the rows this user may edit or delete; Deployment objects also need `deployment.update`."""
    deployment_ids = {row.deployment_id for row in rows if row.deployment_id}
    deployment_perms = (
        permissions.deployment_permissions(user, Deployment.objects.filter(pk__in=deployment_ids))
        if deployment_ids and (access.can_update_env_objects or access.can_delete_env_objects)
        else {}
    )
    for row in rows:
        on_deployment = row.deployment_id is None or (
            permissions.DEPLOYMENT_UPDATE in deployment_perms.get(row.deployment_id, ())
        )
        row.can_update = access.can_update_env_objects and on_deployment
        row.can_delete = access.can_delete_env_objects and on_deployment


def _env_context(kind: Kind, object_page, access, menu, **extra) -> dict:
    return {
        "kind": kind,
        "kind_label": KIND_MENU_LABELS[kind],
        "kind_noun": KIND_NOUNS[kind],
        "menu": menu,
        "object_page": object_page,
        "access": access,
        **extra,
    }


@require_GET
@login_required
def workspace_environment(request, workspace_id, kind=Kind.CONNECTION):
    """List the Workspace's objects of one type, with their links and overrides."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    access = workspace_access(request.user, workspace)
    object_page = env_object_selectors.workspace_env_object_page(
        workspace=workspace, kind=kind, scope=request.GET.get("scope", env_object_selectors.Scope.WORKSPACE),
        **_list_params(request),
    )
    _set_row_permissions(request.user, access, object_page.rows)
    counts = workspace_selectors.workspace_kind_counts(
        workspace=workspace, all_scopes=object_page.scope == env_object_selectors.Scope.ALL
    )
    context = _env_context(
        kind, object_page, access, kind_menu(kind, "envmanager:workspace-environment", workspace.pk, counts=counts),
        workspace=workspace,
        list_url=reverse("envmanager:workspace-environment", args=[workspace.pk, kind]),
        create_url=reverse("envmanager:env-object-create", args=[workspace.pk, kind]),
    )
    # Bulk link / unlink / delete (views/bulk.py): for the roles that may do them one by one.
    if access.can_update_env_objects or access.can_delete_env_objects:
        context.update(
            can_bulk=True, bulk_url=reverse("envmanager:workspace-bulk", args=[workspace.pk]),
            bulk_actions=workspace_bulk_actions(access),
            bulk_targets=workspace_selectors.workspace_target_names(workspace=workspace),
        )
        for row in object_page.rows:  # Deployment objects (scope "all") are not linked from here
            row.can_select = row.is_workspace_scoped
    return render_page(request, "envmanager/workspace_environment.html", context, fragment="object-table")


@require_GET
@login_required
def target_environment(request, workspace_id, deployment_id=None, ide_project_id=None, kind=Kind.CONNECTION):
    """List a Deployment's or IDE project's effective objects of one type, each with where its value comes from."""
    workspace, target = page_target(
        request, workspace_id, deployment_id, ide_project_id, workspace_perm=permissions.ENVOBJECTS_GET
    )
    context = target_context(request, workspace, target)
    access = context["access"]
    object_page = environment_selectors.target_env_object_page(target=target, kind=kind, **_list_params(request))
    menu = kind_menu(
        kind, target.url_name("environment"), workspace.pk, target.pk,
        counts=environment_selectors.target_kind_counts(target=target),
    )
    context.update(_env_context(kind, object_page, access, menu), list_url=target.url("environment", kind))
    can_update_deployment = True  # an IDE project has no permissions of its own
    if target.is_deployment:
        # A Deployment's rows, its own objects and the overrides of Workspace ones, all change the Deployment.
        can_update_deployment = permissions.user_can(request.user, permissions.DEPLOYMENT_UPDATE, target.deployment)
        for row in object_page.rows:
            row.can_update = access.can_update_env_objects and can_update_deployment
            row.can_delete = access.can_delete_env_objects and can_update_deployment
        context.update(
            can_update_deployment=can_update_deployment,
            can_create_here=access.can_create_env_objects and can_update_deployment,
            # Promote to Workspace needs workspace.envObjects.create and deployment.update (docs/style.md, Roles).
            can_promote=access.can_create_env_objects and can_update_deployment,
            # Shown to every role, dimmed "Owners only" for those who may not run it.
            migratable=kind in MIGRATABLE_KINDS,
            create_url=target.url("env-object-create", kind),
            can_link_existing=access.can_update_env_objects and can_update_deployment,
        )
    else:
        _set_row_permissions(request.user, access, object_page.rows)
        context["can_link_existing"] = access.can_update_env_objects
    # Bulk unlink / remove override / delete (views/bulk.py): the actions this role may do one by one here.
    bulk_actions = target_bulk_actions(access, target, can_update_deployment=can_update_deployment)
    if bulk_actions:
        context.update(can_bulk=True, bulk_url=target.url("bulk"), bulk_actions=bulk_actions)
        for row in object_page.rows:
            row.can_select = True
    return render_page(request, "envmanager/target_environment.html", context, fragment="object-table")


def _list_url(workspace, kind, deployment=None) -> str:
    if deployment is not None:
        return reverse("envmanager:deployment-environment", args=[workspace.pk, deployment.pk, kind])
    return reverse("envmanager:workspace-environment", args=[workspace.pk, kind])


def _render_form(request, context):
    context["dialog"] = wants_fragment(request)
    return render_page(request, "envmanager/env_object_form.html", context, fragment="object-form")


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@login_required
def env_object_create(request, workspace_id, kind, deployment_id=None):
    """Create a Workspace object, or a Deployment object when reached from a Deployment's tab."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_CREATE)
    deployment = None
    if deployment_id is not None:
        deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_UPDATE)
    back = safe_next(request, _list_url(workspace, kind, deployment))
    form = EnvObjectForm(request.POST or None, kind=kind, workspace_scope=deployment is None)
    saved = save_form(
        request, form,
        lambda: env_object_services.env_object_create(
            workspace=workspace, deployment=deployment, actor=request.user, **form.create_kwargs()
        ),
        message=lambda env_object: f"Created {KIND_NOUNS[kind]} '{env_object.key}'.", redirect_to=back,
        notices=form.notices,
    )
    if saved:
        return saved
    action = (
        reverse("envmanager:deployment-env-object-create", args=[workspace.pk, deployment.pk, kind])
        if deployment else reverse("envmanager:env-object-create", args=[workspace.pk, kind])
    )
    return _render_form(
        request,
        {
            "workspace": workspace, "deployment": deployment, "form": form, "kind": kind,
            "kind_noun": KIND_NOUNS[kind], "kind_label": KIND_MENU_LABELS[kind], "action_url": action,
            "back_url": back, "creating": True,
        },
    )


def _env_object(workspace, object_id) -> EnvObject:
    return get_object_or_404(EnvObject.objects.select_related("deployment"), pk=object_id, workspace=workspace)


def _require_deployment_update(user, workspace, env_object) -> None:
    if env_object.deployment_id is not None:
        deployment_for_user(user, workspace, env_object.deployment_id, perm=permissions.DEPLOYMENT_UPDATE)


def _object_target(request, workspace_id, object_id, *, perm):
    """Return the Workspace, the object, its Kind and the URL to go back to; check `perm` first."""
    workspace = workspace_for_user(request.user, workspace_id, perm=perm)
    env_object = _env_object(workspace, object_id)
    _require_deployment_update(request.user, workspace, env_object)
    kind = Kind(env_object.kind)
    back = safe_next(request, _list_url(workspace, kind, env_object.deployment))
    return workspace, env_object, kind, back


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@login_required
def env_object_edit(request, workspace_id, object_id):
    """Edit an object's fields; secret fields left empty keep their values."""
    workspace, env_object, kind, back = _object_target(request, workspace_id, object_id, perm=permissions.ENVOBJECTS_UPDATE)
    form = EnvObjectForm(request.POST or None, kind=kind, env_object=env_object)
    saved = save_form(
        request, form,
        lambda: env_object_services.env_object_update(env_object=env_object, actor=request.user, **form.update_kwargs()),
        message=f"Saved {KIND_NOUNS[kind]} '{env_object.key}'.", redirect_to=back, notices=form.notices,
    )
    if saved:
        return saved
    return _render_form(
        request,
        {
            "workspace": workspace, "deployment": env_object.deployment, "env_object": env_object, "form": form,
            "kind": kind, "kind_noun": KIND_NOUNS[kind], "kind_label": KIND_MENU_LABELS[kind],
            "action_url": reverse("envmanager:env-object-edit", args=[workspace.pk, env_object.pk]),
            "back_url": back, "creating": False,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def env_object_delete(request, workspace_id, object_id):
    """Ask to confirm, saying how many Deployments use the object; then delete it."""
    workspace, env_object, kind, back = _object_target(request, workspace_id, object_id, perm=permissions.ENVOBJECTS_DELETE)
    error = None
    if request.method == "POST":
        try:
            env_object_services.env_object_delete(env_object=env_object, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return action_done(request, f"Deleted {KIND_NOUNS[kind]} '{env_object.key}'.", redirect_to=back)
    context = {
        "workspace": workspace, "deployment": env_object.deployment, "env_object": env_object,
        "kind": kind, "kind_noun": KIND_NOUNS[kind], "kind_label": KIND_MENU_LABELS[kind],
        "usage": env_object_selectors.env_object_usage(env_object=env_object), "back_url": back, "error": error,
        "dialog": wants_fragment(request),
    }
    return render_page(request, "envmanager/env_object_delete.html", context, fragment="confirm")
