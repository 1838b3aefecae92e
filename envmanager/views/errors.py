"""Error pages: HTML for the site, the read API's JSON shape (`{"message", "extra"}`) under /api/.

Django calls these for errors raised anywhere, middleware and URL resolution included, so an API client
never receives an HTML page. The site's 403 and 404 pages keep the navigation: the site's header
always, the Workspace's sections only when the user is a member of the Workspace the URL names, so
another Workspace's pages answer exactly like pages that do not exist.
"""

from django.http import Http404, HttpResponseForbidden, HttpResponseNotFound
from django.template import loader
from django.views import defaults

from envmanager import permissions
from envmanager.api.responses import api_error

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    if _is_api(request):
        return api_error("Bad request: the request could not be understood (bad characters, host or size).", status=400)
    return defaults.bad_request(request, exception)


def _workspace_context(request) -> dict:
    """The Workspace the URL names and the user's access there, if the user is a member; else nothing."""
    match = getattr(request, "resolver_match", None)
    workspace_id = match.kwargs.get("workspace_id") if match else None
    user = getattr(request, "user", None)
    if workspace_id is None or user is None:
        return {}
    try:
        workspace = permissions.workspace_for_user(user, workspace_id)
    except Http404:  # not a member, or no such Workspace: the page says nothing of it
        return {}
    return {"workspace": workspace, "access": permissions.workspace_access(user, workspace)}


def _render(request, template_name: str, response_class):
    context = _workspace_context(request)
    return response_class(loader.get_template(template_name).render(context, request))


def permission_denied(request, exception):
    if _is_api(request):
        return api_error("Forbidden.", status=403)
    return _render(request, "403.html", HttpResponseForbidden)


def page_not_found(request, exception):
    if _is_api(request):
        return api_error(f"No API endpoint at {request.path}. See /api/v1/openapi.json.", status=404)
    return _render(request, "404.html", HttpResponseNotFound)


def server_error(request):
    if _is_api(request):
        return api_error("Internal server error; the server log has the details.", status=500)
    return defaults.server_error(request)
