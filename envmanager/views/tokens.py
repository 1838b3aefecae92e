"""API token pages of a Deployment or IDE project: list, create (shown once), revoke.

One template with a `token-section` partial: the Deployment and IDE project pages load that partial
into their delivery panel with htmx (`hx-get` on load), and the same URL is a full page without
JavaScript.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.models import ApiToken, Workspace
from envmanager.selectors.tokens import api_token_list
from envmanager.services import tokens as token_services
from envmanager.targets import Target
from envmanager.views.base import no_store, page_target, render_page, target_context
from envmanager.views.confirmations import CLOSE_DIALOG, Confirmation, render_confirmation

TOKENS_TEMPLATE = "envmanager/delivery/tokens.html"


def _token_target(request, workspace_id, deployment_id, ide_project_id) -> tuple[Workspace, Target]:
    """Return the Workspace and the target whose tokens the page manages; 404/403 as the lookups decide.

    A Deployment's tokens need its `apitokens.manage` permission. IDE projects carry no object
    permissions of their own: the Workspace's export permission (Owner, Operator) guards their tokens,
    as both hand out secrets.
    """
    return page_target(
        request, workspace_id, deployment_id, ide_project_id,
        deployment_perm=permissions.DEPLOYMENT_APITOKENS_MANAGE, ide_project_perm=permissions.ENVOBJECTS_EXPORT,
    )


def _render_tokens(request, workspace, target: Target, *, issued=None, form_error=None, form_name="", status=200):
    rows = [{"token": token, "revoke_url": target.url("token-revoke", token.pk)} for token in api_token_list(target=target)]
    context = {
        **target_context(request, workspace, target),
        "rows": rows,
        "issued": issued,
        "form_error": form_error,
        "form_name": form_name,
        "tokens_url": target.url("tokens"),
        "api_url": request.build_absolute_uri("/api/v1/"),
        "server_url": request.build_absolute_uri("/").rstrip("/"),
    }
    return no_store(render_page(request, TOKENS_TEMPLATE, context, fragment="token-section", status=status))


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request, workspace_id, deployment_id=None, ide_project_id=None):
    """List a Deployment's or IDE project's API tokens; POST creates one and shows it once."""
    workspace, target = _token_target(request, workspace_id, deployment_id, ide_project_id)
    if request.method == "GET":
        return _render_tokens(request, workspace, target)
    name = request.POST.get("name", "")
    try:
        issued = token_services.api_token_create(actor=request.user, name=name, target=target)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return _render_tokens(request, workspace, target, form_error=message, form_name=name)
    # The new token is in this response only; there is no redirect (it would need to be stored).
    return _render_tokens(request, workspace, target, issued=issued)


@require_http_methods(["GET", "POST"])
@login_required
def api_token_revoke(request, workspace_id, token_id, deployment_id=None, ide_project_id=None):
    """Revoke one API token of a Deployment or IDE project, after a confirmation (GET) saying who loses access."""
    workspace, target = _token_target(request, workspace_id, deployment_id, ide_project_id)
    api_token = get_object_or_404(ApiToken, pk=token_id, **target.row_filter)
    if request.method == "GET":
        reader = "Airflow or the secrets backend" if target.is_deployment else "the development setup"
        return no_store(render_confirmation(request, workspace, Confirmation(
            verb="Revoke API token", subject=api_token.name, tail=f" of {target.label}",
            action_url=request.path, back_url=target.url("tokens"), submit_label="Revoke token",
            items=(
                f"Whatever uses the token {api_token.prefix}… ({reader}) gets 401 from its next request on.",
                "A revoked token cannot be restored; issue a new one and put it where this one was.",
            ),
            hx_target="#token-section",
        )))
    try:
        token_services.api_token_revoke(api_token=api_token, actor=request.user)
    except ValidationError as exc:
        response = _render_tokens(request, workspace, target, form_error=" ".join(exc.messages))
    else:
        response = _render_tokens(request, workspace, target)
    if request.htmx:
        response.content += CLOSE_DIALOG
    return response
