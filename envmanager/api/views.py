"""Read API views: parse, call a selector, shape JSON. Every rule lives in services and selectors."""

from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt

from envmanager.api.auth import api_view
from envmanager.api.openapi import openapi_document
from envmanager.api.responses import api_error, api_json, api_not_modified, method_not_allowed
from envmanager.kinds import Kind
from envmanager.models import ApiToken
from envmanager.selectors.environment import entry_as_dict, target_effective_environment
from envmanager.selectors.exports import target_airflow_metrics_settings
from envmanager.selectors.hot_path import target_effective_entry
from envmanager.selectors.revalidation import UnknownKinds, environment_etag, requested_kinds
from envmanager.services.readers import reader_seen
from envmanager.targets import Target


def _target_dict(api_token: ApiToken) -> dict:
    target = Target.of_row(api_token)
    return {"type": target.audit_type, "name": target.name, "workspace": api_token.workspace.name}


@api_view
def environment(request):
    """The effective environment of the token's Deployment (or IDE project), with sources.

    A revalidation that answers 304 costs the authentication query alone (the ETag is made of the
    version that query read); only a 200 resolves the environment.
    """
    api_token = request.api_token
    try:
        kinds = requested_kinds(request.GET.get("kinds"))
    except UnknownKinds as exc:
        return api_error(str(exc), status=400, extra={"parameter": "kinds", "unknown": exc.unknown})
    etag = environment_etag(api_token, kinds=kinds)
    reader_seen(api_token=api_token, reader=request.api_reader, version=api_token.workspace.environment_version)
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
    wanted = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    if etag in wanted or "*" in wanted:
        return api_not_modified(etag)
    entries = target_effective_environment(target=Target.of_row(api_token), kinds=None if kinds == tuple(Kind) else kinds)
    body = {
        "target": _target_dict(api_token),
        "entries": [entry_as_dict(entry, reveal=True) for entry in entries],
        "airflow_metrics_settings": target_airflow_metrics_settings(entries),
    }
    response = api_json(body)
    response["ETag"] = etag
    return response


@api_view
def entry_detail(request, kind: Kind, key: str):
    """One effective object of `kind` (the route says which) by key: connection id, variable key, ..."""
    api_token = request.api_token
    target = Target.of_row(api_token)
    entry = target_effective_entry(target=target, kind=kind.value, key=key)
    if entry is None:
        label = target.label
        response = api_error(
            f"No {kind.label.lower()} '{key}' in {label}.", status=404, extra={"type": kind.value, "key": key}
        )
        # An unknown key is routine for a secrets backend (Airflow asks it first for every key, also
        # for those kept in its metastore); Django's "Not Found" warning per lookup would be noise.
        response._has_been_logged = True
        return response
    return api_json(entry_as_dict(entry, reveal=True))


@csrf_exempt
def openapi(request):
    """The OpenAPI document of this API (public: it describes shapes, holds no data)."""
    return method_not_allowed(request, ("GET", "HEAD"), use="GET") or api_json(openapi_document())


@csrf_exempt
def not_found(request, path: str = ""):
    """JSON 404 for any other path under /api/v1/, so clients never get an HTML page."""
    return api_error(f"No API endpoint at /api/v1/{path}. See /api/v1/openapi.json.", status=404)
