"""What every page view shares: one template for page and fragment, htmx-aware replies, URL converters.

Every view is decorated in one order, outermost first:

    @sensitive_post_parameters(...)   # only where the form carries secrets
    @require_GET / @require_POST / @require_http_methods([...])
    @login_required

so a wrong method answers 405 before anything else, and an anonymous user is sent to sign in.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import trigger_client_event

from envmanager import permissions
from envmanager.forms.secrets import add_service_error
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import Workspace
from envmanager.selectors.exports import EXPORT_FORMATS
from envmanager.targets import Target

# URL slug, menu label and noun of each type, in menu order (from the kind registry).
KIND_SLUGS = {kind: spec.slug for kind, spec in KIND_SPECS.items()}
KIND_BY_SLUG = {slug: kind for kind, slug in KIND_SLUGS.items()}
KIND_MENU_LABELS = {kind: spec.menu_label for kind, spec in KIND_SPECS.items()}
KIND_NOUNS = {kind: spec.noun for kind, spec in KIND_SPECS.items()}

ENV_CHANGED = "env-changed"


class KindConverter:
    regex = "|".join(KIND_BY_SLUG)

    def to_python(self, value: str) -> Kind:
        return KIND_BY_SLUG[value]

    def to_url(self, value) -> str:
        """Accept a Kind (or its value) or a slug."""
        if value in KIND_BY_SLUG:
            return value
        return KIND_SLUGS[Kind(value)]


class ExportFormatConverter:
    regex = "|".join(EXPORT_FORMATS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def kind_menu(kind: Kind, view_name: str, *args, counts: dict[str, int] | None = None) -> list[dict]:
    """Return the type menu of an Environment page; `args` locate the page (Workspace, Deployment, ...).

    `counts` (type value to number of objects) adds a count to each item.
    """
    return [
        {"kind": item, "label": KIND_MENU_LABELS[item], "current": item == kind,
         "url": reverse(view_name, args=[*args, item]),
         "count": None if counts is None else counts.get(item.value, 0)}
        for item in Kind
    ]


def page_target(
    request, workspace_id, deployment_id=None, ide_project_id=None, *, workspace_perm: str | None = None,
    deployment_perm: str | None = permissions.DEPLOYMENT_GET, ide_project_perm: str | None = None,
) -> tuple[Workspace, Target]:
    """Return the Workspace and the Deployment or IDE project a page's URL names; 404 outside it.

    The pages of both take the same two ids (one of them None, as the route gives it). The Workspace
    needs `workspace_perm`, a Deployment also `deployment_perm` (403 without them). IDE projects carry
    no permissions of their own: for them the Workspace needs `ide_project_perm` instead, if given.
    """
    if deployment_id is None and ide_project_perm is not None:
        workspace_perm = ide_project_perm
    workspace = permissions.workspace_for_user(request.user, workspace_id, perm=workspace_perm)
    target = permissions.target_for_user(
        request.user, workspace, deployment_id=deployment_id, ide_project_id=ide_project_id,
        deployment_perm=deployment_perm,
    )
    return workspace, target


def target_context(request, workspace: Workspace, target: Target) -> dict:
    """What the pages of a Deployment or IDE project render with (`deployment` / `ide_project`: the one, or None)."""
    return {
        "workspace": workspace, "target": target, "deployment": target.deployment, "ide_project": target.ide_project,
        "access": permissions.workspace_access(request.user, workspace),
    }


def wants_fragment(request) -> bool:
    """Return whether to answer with a fragment: an htmx request, except one restoring history."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(request, template: str, context: dict, *, fragment: str | None = None, status: int = 200):
    """Render the whole page, or only partial `fragment` of it for an htmx request."""
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    response = render(request, name, context, status=status)
    # Same URL, two bodies: keep caches honest.
    patch_vary_headers(response, ["HX-Request"])
    return response


def save_form(request, form, save: Callable, *, message: str | Callable[[Any], str], redirect_to: str, notices=None):
    """Answer a valid POST of `form`: call `save()` (one service) and `action_done` with `message`.

    Return None for a GET, an invalid form, or a `save()` refused with ValidationError (its errors
    are put on the form): the view then renders the form again. `message` may take what `save()`
    returned; `notices` is the form's `notices` method, called after saving.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save()
    except ValidationError as exc:
        add_service_error(form, exc)
        return None
    text = message(saved) if callable(message) else message
    return action_done(request, text, redirect_to=redirect_to, notices=notices() if notices else ())


def no_store(response):
    """Forbid caching: token pages may show a new token once, export bodies hold secrets."""
    response["Cache-Control"] = "no-store"
    return response


def safe_next(request, default: str) -> str:
    """Return the `next` URL the request names if it points into this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    # A path on this site only: `redirect()` would take anything else (`{"a"`) for a view name.
    if candidate and candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def action_done(request, message: str, *, redirect_to: str, level: int = messages.SUCCESS, notices=()):
    """Answer a successful (or refused) action: htmx gets the message and an `env-changed` event, others a redirect.

    `notices` (e.g. "Password ends with a space; it is kept as is.") follow the message as warnings.
    """
    messages.add_message(request, level, message)
    for notice in notices:
        messages.warning(request, notice)
    if request.htmx:
        response = render(request, "_partials.html#messages-oob")
        if level == messages.SUCCESS:
            trigger_client_event(response, ENV_CHANGED)
        return response
    return redirect(redirect_to)
