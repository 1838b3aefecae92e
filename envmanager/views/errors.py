"""Error pages: HTML for the site, the read API's JSON shape (`{"message", "extra"}`) under /api/.

Django calls these for errors raised anywhere, middleware and URL resolution included, so an API client
never receives an HTML page.
"""

from django.views import defaults

from envmanager.api.responses import api_error

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    if _is_api(request):
        return api_error("Bad request: the request could not be understood (bad characters, host or size).", status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return api_error("Forbidden.", status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return api_error(f"No API endpoint at {request.path}. See /api/v1/openapi.json.", status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return api_error("Internal server error; the server log has the details.", status=500)
    return defaults.server_error(request)
