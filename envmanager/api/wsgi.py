"""The read API's own WSGI handler: the same URLs and views, with `READ_API_MIDDLEWARE` instead of MIDDLEWARE.

Airflow calls the read API on every per-key lookup and every snapshot revalidation, with a bearer
token and for JSON. None of the page middleware applies to that (sessions, CSRF, sign-in, messages,
frame and content-security policies for HTML, htmx, sign-in lock-out), yet each layer costs its call
on every request: about 0.15 ms of a per-key lookup's ~1 ms in-process on the 2-core development
machine. What does apply stays: the security headers, the Host check against ALLOWED_HOSTS (and the
Content-Length) of CommonMiddleware, and the refusal of unstorable input.
"""

import functools

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

# The read API's routes (envmanager/api/urls.py); the management API and the OpenAPI document go
# through the page handler with everything else.
_ENTRY_ROUTES = ("api:connection", "api:variable", "api:env", "api:metrics")


@functools.cache
def _read_api_paths() -> tuple[str, tuple[str, ...]]:
    """The environment's path and the per-key collections' prefixes, as the URLconf spells them."""
    return reverse("api:environment"), tuple(reverse(name, kwargs={"key": "_"})[:-1] for name in _ENTRY_ROUTES)


def is_read_api_path(path_info: str) -> bool:
    environment, entry_prefixes = _read_api_paths()
    return path_info == environment or path_info.startswith(entry_prefixes)


class ReadApiHandler(WSGIHandler):
    """Django's WSGI handler loading `settings.READ_API_MIDDLEWARE` as its middleware."""

    def load_middleware(self, is_async=False):
        # BaseHandler.load_middleware reads settings.MIDDLEWARE and takes no list of its own: it gets the
        # read API's while it loads (once, when the WSGI application is imported, before any request).
        page_middleware = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.READ_API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = page_middleware


def dispatching_application(pages: WSGIHandler, read_api: WSGIHandler):
    """Return the WSGI application that sends read-API paths to `read_api` and every other to `pages`."""
    # Reversed now, before any request sets a script prefix (FORCE_SCRIPT_NAME): PATH_INFO has none.
    _read_api_paths()

    def application(environ, start_response):
        handler = read_api if is_read_api_path(environ.get("PATH_INFO", "")) else pages
        return handler(environ, start_response)

    return application
