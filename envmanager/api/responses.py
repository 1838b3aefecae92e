"""The read API's responses: JSON, never cached by intermediaries, one error shape."""

from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_vary_headers

BEARER_CHALLENGE = 'Bearer realm="envmanager"'


def _no_store(response: HttpResponse) -> HttpResponse:
    # Bodies hold secrets: no shared or private cache may keep them. ETags still work, because
    # the client keeps its own copy and asks with If-None-Match.
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ["Authorization"])
    return response


def api_json(data, *, status: int = 200) -> JsonResponse:
    return _no_store(JsonResponse(data, status=status, safe=False, json_dumps_params={"separators": (",", ":")}))


def api_error(message: str, *, status: int, extra: dict | None = None) -> JsonResponse:
    """Return the API's one error shape: `{"message": ..., "extra": {...}}`."""
    return api_json({"message": message, "extra": extra or {}}, status=status)


def method_not_allowed(request, allowed: tuple[str, ...], *, use: str) -> JsonResponse | None:
    """Return a 405 naming `use` when the request's method is not in `allowed`, else None."""
    if request.method in allowed:
        return None
    response = api_error(f"Method {request.method} is not allowed here; use {use}.", status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def api_unauthorized(message: str) -> JsonResponse:
    response = api_error(message, status=401)
    response["WWW-Authenticate"] = BEARER_CHALLENGE
    return response


def api_not_modified(etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = etag
    return _no_store(response)


def api_raw(content: bytes, *, status: int) -> HttpResponse:
    """Return JSON already serialised (a stored answer replayed), with the same headers as `api_json`."""
    return _no_store(HttpResponse(content, status=status, content_type="application/json"))
