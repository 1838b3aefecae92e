"""Promote to Workspace Environment: one confirmation dialog, one service call."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.permissions import deployment_for_user, workspace_access, workspace_for_user
from envmanager.services.promotion import env_object_promote, env_object_promotion_plan
from envmanager.views.base import KIND_NOUNS, action_done, render_page, safe_next, wants_fragment


def promotion_requires_typed_key(env_object: EnvObject) -> bool:
    """Environment variables are promoted only after the user types the key (`KindSpec.promote_needs_typed_key`)."""
    return env_object.spec.promote_needs_typed_key


@require_http_methods(["GET", "POST"])
@login_required
def env_object_promote_view(request, workspace_id, deployment_id, object_id):
    """Explain what promoting a Deployment object does, then promote it."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_CREATE)
    deployment = deployment_for_user(request.user, workspace, deployment_id, perm=permissions.DEPLOYMENT_UPDATE)
    env_object = get_object_or_404(
        EnvObject.objects.select_related("deployment", "workspace"), pk=object_id, deployment=deployment
    )
    kind = Kind(env_object.kind)
    back = safe_next(request, reverse("envmanager:deployment-environment", args=[workspace.pk, deployment.pk, kind]))
    error, plan = None, None
    try:
        plan = env_object_promotion_plan(env_object=env_object)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.method == "POST" and plan is not None:
        if promotion_requires_typed_key(env_object) and request.POST.get("confirm_key", "") != env_object.key:
            error = f"Type {env_object.key} exactly to confirm."
        else:
            try:
                env_object_promote(env_object=env_object, actor=request.user)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return action_done(
                    request,
                    f"Promoted {KIND_NOUNS[kind]} '{env_object.key}' to the Workspace Environment; "
                    f"it stays linked to {deployment.name}.",
                    redirect_to=back,
                )
    context = {
        "access": workspace_access(request.user, workspace),
        "workspace": workspace, "deployment": deployment, "env_object": env_object, "plan": plan,
        "kind_noun": KIND_NOUNS[kind], "typed_key": promotion_requires_typed_key(env_object),
        "back_url": back, "error": error, "dialog": wants_fragment(request),
    }
    return render_page(request, "envmanager/promote_confirm.html", context, fragment="confirm")
