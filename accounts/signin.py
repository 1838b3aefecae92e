"""Signing in and authenticating API calls: who the client is, throttling repeated failures, unlocking.

The browser sign-in is throttled by django-axes (settings `AXES_*`): per username and per address. The read
API's bearer tokens are throttled here, per address, in Django's cache: a lookup that costs no query, so a
valid token's request stays as cheap as before. (With several app instances and the default per-process
cache, the limit applies per instance; configure a shared CACHES backend to make it global.)
"""

from axes.utils import reset
from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """Return the client's address: REMOTE_ADDR, or the one a trusted proxy appended to X-Forwarded-For."""
    if settings.ENVMANAGER_TRUSTED_PROXY and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR")):
        return forwarded.split(",")[-1].strip()  # the proxy's own entry; earlier ones come from the client
    return request.META.get("REMOTE_ADDR", "")


def _api_failures_key(request) -> str:
    return f"envmanager:api-token-failures:{client_ip(request)}"


def api_client_throttled(request) -> bool:
    """Return whether this address failed too many token attempts within the window."""
    return (cache.get(_api_failures_key(request)) or 0) >= settings.ENVMANAGER_API_FAILURE_LIMIT


def api_failure_record(request) -> None:
    """Count one failed token attempt of this address (the window starts at its first failure)."""
    key = _api_failures_key(request)
    cache.add(key, 0, timeout=settings.ENVMANAGER_API_FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.ENVMANAGER_API_FAILURE_WINDOW_SECONDS)


def sign_in_unlock(*, username: str | None = None, ip_address: str | None = None) -> int:
    """Lift the sign-in lock-out of a username and/or an address; return how many failures were forgotten."""
    count = 0
    if username:
        count += reset(username=username)
    if ip_address:
        count += reset(ip=ip_address)
    return count
