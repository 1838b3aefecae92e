"""Management API: environment objects (list, create, show, change, delete, promote). Thin: services decide."""

from django.db import transaction

from envmanager import permissions
from envmanager.api.manage.auth import manage_view
from envmanager.api.manage.lookups import env_object_or_404, kind_or_404, scope
from envmanager.api.manage.shapes import BadRequest, env_object_dict, expect, field_values, json_body, split_secret_clears
from envmanager.api.responses import api_json, api_raw
from envmanager.kinds import Kind
from envmanager.models import EnvObject
from envmanager.permissions import workspace_by_name_for_user
from envmanager.selectors.api_objects import DEFAULT_LIMIT, MAX_LIMIT, object_page, object_with_links
from envmanager.services import env_objects as object_services
from envmanager.services.links import env_object_set_linked_to_all
from envmanager.services.promotion import env_object_promote

CREATE_MEMBERS = {"type", "key", "deployment", "is_secret", "linked_to_all", "fields"}
PATCH_MEMBERS = {"fields", "is_secret", "linked_to_all"}


def object_response(env_object: EnvObject, *, status: int = 200):
    """Answer with the object as it is now (re-read with its links)."""
    fresh = object_with_links(
        workspace=env_object.workspace, kind=Kind(env_object.kind), key=env_object.key, deployment=env_object.deployment
    )
    return api_json(env_object_dict(fresh), status=status)


def _limit(request) -> int:
    raw = request.GET.get("limit") or str(DEFAULT_LIMIT)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"'limit' must be a whole number from 1 to {MAX_LIMIT}.", {"parameter": "limit"})
    return int(raw)


@manage_view("GET", "POST")
def object_collection(request, workspace: str):
    if request.method == "POST":
        return _create(request, workspace)
    workspace = workspace_by_name_for_user(request.user, workspace, perm=permissions.ENVOBJECTS_GET)
    kind = kind_or_404(request.GET["type"]) if request.GET.get("type") else None
    deployment = scope(request, workspace, perm=permissions.DEPLOYMENT_GET)
    objects, next_cursor = object_page(
        workspace=workspace, deployment=deployment, kind=kind, query=request.GET.get("q", "")[:250],
        cursor=request.GET.get("cursor"), limit=_limit(request),
    )
    return api_json({"items": [env_object_dict(o) for o in objects], "next_cursor": next_cursor})


def _create(request, workspace: str):
    workspace = workspace_by_name_for_user(request.user, workspace, perm=permissions.ENVOBJECTS_CREATE)
    body = json_body(request, allowed=CREATE_MEMBERS, required={"type", "key"})
    if not isinstance(body["type"], str) or body["type"] not in Kind.values:
        raise BadRequest(f"'type' must be one of {', '.join(k.value for k in Kind)}.", {"member": "type"})
    kind = Kind(body["type"])
    deployment_name = expect(body, "deployment", (str,), "a Deployment name or null")
    deployment = (
        permissions.deployment_by_name_for_user(request.user, workspace, deployment_name, perm=permissions.DEPLOYMENT_UPDATE)
        if deployment_name else None
    )
    is_secret = bool(expect(body, "is_secret", (bool,), "true or false"))
    fields = field_values(kind, body.get("fields"))
    env_object = object_services.env_object_create(
        workspace=workspace, actor=request.user, kind=kind, key=expect(body, "key", (str,), "text") or "",
        fields={n: v for n, v in fields.items() if v is not None}, deployment=deployment, is_secret=is_secret,
        linked_to_all=bool(expect(body, "linked_to_all", (bool,), "true or false")),
    )
    return object_response(env_object, status=201)


@manage_view("GET", "PATCH", "DELETE")
def object_detail(request, workspace: str, type: str, key: str):
    perm = {"GET": permissions.ENVOBJECTS_GET, "PATCH": permissions.ENVOBJECTS_UPDATE,
            "DELETE": permissions.ENVOBJECTS_DELETE}[request.method]
    deployment_perm = permissions.DEPLOYMENT_GET if request.method == "GET" else permissions.DEPLOYMENT_UPDATE
    workspace = workspace_by_name_for_user(request.user, workspace, perm=perm)
    env_object = env_object_or_404(request, workspace, type, key, deployment_perm=deployment_perm)
    if request.method == "GET":
        return api_json(env_object_dict(env_object))
    if request.method == "DELETE":
        object_services.env_object_delete(env_object=env_object, actor=request.user)
        return api_raw(b"", status=204)
    body = json_body(request, allowed=PATCH_MEMBERS)
    is_secret = expect(body, "is_secret", (bool,), "true or false")
    linked_to_all = expect(body, "linked_to_all", (bool,), "true or false")
    fields = field_values(Kind(env_object.kind), body.get("fields"))
    flag = env_object.is_secret if is_secret is None else is_secret
    fields, clear = split_secret_clears(Kind(env_object.kind), flag, fields)
    with transaction.atomic():  # all the body's changes, or none
        if fields or clear or is_secret is not None:
            env_object = object_services.env_object_update(
                env_object=env_object, actor=request.user, fields=fields, clear=clear, is_secret=is_secret
            )
        if linked_to_all is not None:
            env_object = env_object_set_linked_to_all(env_object=env_object, actor=request.user, linked_to_all=linked_to_all)
    return object_response(env_object)


@manage_view("POST")
def object_promote(request, workspace: str, type: str, key: str):
    """Promote a Deployment's object (`?deployment=NAME`) to the Workspace; answers with the Workspace object."""
    workspace = workspace_by_name_for_user(request.user, workspace, perm=permissions.ENVOBJECTS_CREATE)
    if not request.GET.get("deployment"):
        raise BadRequest("Name the Deployment whose object to promote: ?deployment=NAME.", {"parameter": "deployment"})
    env_object = env_object_or_404(request, workspace, type, key, deployment_perm=permissions.DEPLOYMENT_UPDATE)
    promoted = env_object_promote(env_object=env_object, actor=request.user)
    return object_response(promoted)
