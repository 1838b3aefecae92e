"""API token pages of a Deployment or IDE project: list, create (shown once), revoke.

One template with a `token-section` partial: the Deployment and IDE project pages load that partial
into their delivery panel with htmx (`hx-get` on load), and the same URL is a full page without
JavaScript.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from envmanager import permissions
from envmanager.models import ApiToken
from envmanager.selectors.exports import EXPORT_FORMATS
from envmanager.selectors.tokens import api_token_list
from envmanager.services import tokens as token_services
from envmanager.views.base import no_store, render_page

TOKENS_TEMPLATE = "envmanager/delivery/tokens.html"


def _deployment_target(request, workspace_id, deployment_id, *, perm: str):
    workspace = permissions.workspace_for_user(request.user, workspace_id)
    deployment = permissions.deployment_for_user(request.user, workspace, deployment_id, perm=perm)
    return workspace, {"deployment": deployment, "ide_project": None}


def _ide_project_target(request, workspace_id, ide_project_id, *, perm: str):
    # IDE projects carry no object permissions of their own: the Workspace's export permission
    # (Owner, Operator) guards their tokens and exports, as both hand out secrets.
    workspace = permissions.workspace_for_user(request.user, workspace_id, perm=perm)
    ide_project = permissions.ide_project_for_user(request.user, workspace, ide_project_id)
    return workspace, {"deployment": None, "ide_project": ide_project}


def _urls(workspace, target) -> dict:
    if target["deployment"] is not None:
        args = [workspace.pk, target["deployment"].pk]
        prefix = "envmanager:deployment"
    else:
        args = [workspace.pk, target["ide_project"].pk]
        prefix = "envmanager:ide-project"
    return {
        "tokens": reverse(f"{prefix}-tokens", args=args),
        "revoke": lambda token_id: reverse(f"{prefix}-token-revoke", args=[*args, token_id]),
        "export": {fmt: reverse(f"{prefix}-export", args=[*args, fmt]) for fmt in EXPORT_FORMATS},
    }


def _render_tokens(request, workspace, target, *, issued=None, form_error=None, form_name="", status=200):
    urls = _urls(workspace, target)
    tokens = list(api_token_list(**target))
    rows = [{"token": token, "revoke_url": urls["revoke"](token.pk)} for token in tokens]
    context = {
        "workspace": workspace,
        "deployment": target["deployment"],
        "ide_project": target["ide_project"],
        "target": target["deployment"] or target["ide_project"],
        "rows": rows,
        "issued": issued,
        "form_error": form_error,
        "form_name": form_name,
        "tokens_url": urls["tokens"],
        "api_url": request.build_absolute_uri("/api/v1/"),
        "server_url": request.build_absolute_uri("/").rstrip("/"),
    }
    return no_store(render_page(request, TOKENS_TEMPLATE, context, fragment="token-section", status=status))


def _tokens(request, workspace, target):
    if request.method == "GET":
        return _render_tokens(request, workspace, target)
    name = request.POST.get("name", "")
    try:
        issued = token_services.api_token_create(actor=request.user, name=name, **target)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return _render_tokens(request, workspace, target, form_error=message, form_name=name)
    # The new token is in this response only; there is no redirect (it would need to be stored).
    return _render_tokens(request, workspace, target, issued=issued)


def _revoke(request, workspace, target, token_id):
    api_token = get_object_or_404(ApiToken, pk=token_id, **{k: v for k, v in target.items() if v is not None})
    try:
        token_services.api_token_revoke(api_token=api_token, actor=request.user)
    except ValidationError as exc:
        return _render_tokens(request, workspace, target, form_error=" ".join(exc.messages))
    return _render_tokens(request, workspace, target)


@require_http_methods(["GET", "POST"])
@login_required
def deployment_tokens(request, workspace_id, deployment_id):
    """List a Deployment's API tokens; POST creates one and shows it once."""
    workspace, target = _deployment_target(
        request, workspace_id, deployment_id, perm=permissions.DEPLOYMENT_APITOKENS_MANAGE
    )
    return _tokens(request, workspace, target)


@require_POST
@login_required
def deployment_token_revoke(request, workspace_id, deployment_id, token_id):
    """Revoke one API token of a Deployment."""
    workspace, target = _deployment_target(
        request, workspace_id, deployment_id, perm=permissions.DEPLOYMENT_APITOKENS_MANAGE
    )
    return _revoke(request, workspace, target, token_id)


@require_http_methods(["GET", "POST"])
@login_required
def ide_project_tokens(request, workspace_id, ide_project_id):
    """List an IDE project's API tokens; POST creates one and shows it once."""
    workspace, target = _ide_project_target(request, workspace_id, ide_project_id, perm=permissions.ENVOBJECTS_EXPORT)
    return _tokens(request, workspace, target)


@require_POST
@login_required
def ide_project_token_revoke(request, workspace_id, ide_project_id, token_id):
    """Revoke one API token of an IDE project."""
    workspace, target = _ide_project_target(request, workspace_id, ide_project_id, perm=permissions.ENVOBJECTS_EXPORT)
    return _revoke(request, workspace, target, token_id)
