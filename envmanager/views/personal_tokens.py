"""The user's "API tokens" page (account menu): personal access tokens for the management API.

Create (shown once, in the response to the POST only), list, revoke (confirmed in the browser).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods, require_POST

from envmanager.models import PersonalAccessToken
from envmanager.selectors.personal_tokens import personal_token_list
from envmanager.services import personal_tokens as pat_services
from envmanager.views.base import no_store, render_page

TEMPLATE = "envmanager/personal_tokens.html"


def _render(request, *, issued=None, form_error=None, form_name="", status=200):
    context = {
        "tokens": personal_token_list(user=request.user),
        "issued": issued, "form_error": form_error, "form_name": form_name,
        "default_days": pat_services.DEFAULT_EXPIRY_DAYS, "max_days": pat_services.MAX_EXPIRY_DAYS,
        "api_url": request.build_absolute_uri("/api/v1/manage/"),
    }
    return no_store(render_page(request, TEMPLATE, context, fragment="pat-section", status=status))


@require_http_methods(["GET", "POST"])
@login_required
def personal_tokens(request):
    """List the user's personal access tokens; POST creates one and shows it once."""
    if request.method == "GET":
        return _render(request)
    name = request.POST.get("name", "")
    try:
        days = int(request.POST.get("expires_days") or pat_services.DEFAULT_EXPIRY_DAYS)
    except ValueError:
        return _render(request, form_error="The expiry is a whole number of days.", form_name=name, status=400)
    try:
        issued = pat_services.personal_token_create(user=request.user, name=name, expires_days=days)
    except ValidationError as exc:
        return _render(request, form_error=" ".join(exc.messages), form_name=name, status=400)
    return _render(request, issued=issued)


@require_POST
@login_required
def personal_token_revoke(request, token_id):
    """Revoke one of the user's own tokens (another user's answers 404)."""
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
    try:
        pat_services.personal_token_revoke(token=token, actor=request.user)
    except ValidationError as exc:
        return _render(request, form_error=" ".join(exc.messages), status=400)
    return _render(request)
