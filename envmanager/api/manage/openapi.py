"""The OpenAPI 3.1 document of the management API, served at /api/v1/manage/openapi.json.

It shares the read API's building blocks (`envmanager/api/openapi.py`); tests validate every response
against it and schemathesis fuzzes the API from it.
"""

from functools import lru_cache

from django.views.decorators.csrf import csrf_exempt

from envmanager.api.openapi import API_VERSION, UNAUTHORIZED, error_response, openapi_document, schema_ref
from envmanager.api.responses import api_json, method_not_allowed
from envmanager.kinds import Kind

_VALUE = {"type": ["string", "integer", "object", "null"]}
_FIELDS = {"type": "object", "additionalProperties": _VALUE,
           "description": "Field values; a secret field only as \"set\" / \"not set\"."}
_WRITE_FIELDS = {"type": "object", "additionalProperties": _VALUE,
                 "description": "Field values; a secret field given as null is cleared, left out it is kept."}


def _param(name: str, where: str = "path", description: str = "", **schema) -> dict:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": {"type": "string", **schema}}


_WORKSPACE = _param("workspace", description="The Workspace's name, URL-encoded.", minLength=1)
_TYPE = _param("type", description="Object type.", enum=list(Kind.values))
_KEY = _param("key", description="The object's key, URL-encoded ('/' as %2F).", minLength=1)
_SCOPE = _param("deployment", "query", "The Deployment of a Deployment-scoped object; left out: the Workspace's.")
_IDEMPOTENCY = _param("Idempotency-Key", "header", "A retry with the same key returns the first answer.", maxLength=200)


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema_ref(schema_name)}}}


def _errors(*statuses: int) -> dict:
    texts = {400: "Bad input; nothing changed.", 403: "Your role does not allow this here.",
             404: "Not found, or not a Workspace you are a member of.", 422: "Idempotency-Key reused for another request."}
    return {"401": UNAUTHORIZED, **{str(s): error_response(texts[s]) for s in statuses}}


def _operation(operation_id: str, summary: str, responses: dict, *, parameters=(), body: str | None = None) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "tags": ["manage"],
                 "parameters": list(parameters), "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema_ref(body)}}}
    return operation


def _object(*required: str, **properties) -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(required), "properties": properties}


def _schemas() -> dict:
    string, boolean = {"type": "string"}, {"type": "boolean"}
    nullable = {"type": ["string", "null"]}
    link = _object("target_type", "name", "excluded", "override", target_type={"enum": ["deployment", "ide_project"]},
                   name=string, excluded=boolean, override=_FIELDS)
    return {
        "Error": openapi_document()["components"]["schemas"]["Error"],
        "WorkspaceList": _object("items", items={"type": "array", "items": _object("name", name=string)}),
        "Workspace": _object("name", "deployments", "ide_projects", "permissions", name=string,
                             deployments={"type": "array", "items": string}, ide_projects={"type": "array", "items": string},
                             permissions={"type": "array", "items": string}),
        "Link": link,
        "Object": _object("type", "key", "deployment", "is_secret", "linked_to_all", "secret_fields", "fields", "links",
                          "updated_at", type={"enum": list(Kind.values)}, key=string, deployment=nullable,
                          is_secret=boolean, linked_to_all=boolean, secret_fields={"type": "array", "items": string},
                          fields=_FIELDS, links={"type": "array", "items": schema_ref("Link")}, updated_at=string),
        "ObjectPage": _object("items", "next_cursor", items={"type": "array", "items": schema_ref("Object")},
                              next_cursor=nullable),
        "ObjectCreate": _object("type", "key", type={"enum": list(Kind.values)}, key={"type": "string", "minLength": 1},
                                deployment=nullable, is_secret=boolean, linked_to_all=boolean, fields=_WRITE_FIELDS),
        "ObjectPatch": _object(is_secret=boolean, linked_to_all=boolean, fields=_WRITE_FIELDS),
        "LinkPut": _object(excluded=boolean, override={**_WRITE_FIELDS, "description": "Per-field override; null removes one."}),
        "Environment": _object("deployment", "entries", deployment=string, entries={"type": "array", "items": {
            "type": "object", "required": ["type", "key", "source", "is_secret", "fields"]}}),
        "ApplyRequest": _object("document", document={"type": "object", "description": "A document of docs/gitops.md."},
                                dry_run=boolean, prune=boolean),
        "ApplyResult": _object("changes", "summary", "counts", "applied", changes={"type": "array", "items": string},
                               summary=string, counts={"type": "object"}, applied=boolean),
    }


def _paths() -> dict:
    obj, link = [_WORKSPACE, _TYPE, _KEY, _SCOPE], [_WORKSPACE, _TYPE, _KEY, _SCOPE,
                                                   _param("targets", enum=["deployments", "ide-projects"]), _param("name")]
    deleted = {"204": {"description": "Deleted."}}
    return {
        "/workspaces": {"get": _operation("list_workspaces", "The Workspaces you are a member of.",
                                          {"200": _json("WorkspaceList", "Workspaces."), **_errors()})},
        "/workspaces/{workspace}": {"get": _operation("get_workspace", "One Workspace.", {
            "200": _json("Workspace", "The Workspace."), **_errors(404)}, parameters=[_WORKSPACE])},
        "/workspaces/{workspace}/objects": {
            "get": _operation("list_objects", "Objects of one scope, oldest first, a page at a time.", {
                "200": _json("ObjectPage", "A page."), **_errors(400, 403, 404)}, parameters=[
                _WORKSPACE, _SCOPE, _param("type", "query", "Only this type.", enum=list(Kind.values)),
                _param("q", "query", "Keys containing this text."), _param("cursor", "query", "next_cursor of the last page."),
                {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
            ]),
            "post": _operation("create_object", "Create an object.", {
                "201": _json("Object", "Created."), **_errors(400, 403, 404, 422)},
                parameters=[_WORKSPACE, _IDEMPOTENCY], body="ObjectCreate"),
        },
        "/workspaces/{workspace}/objects/{type}/{key}": {
            "get": _operation("get_object", "One object.", {"200": _json("Object", "The object."), **_errors(403, 404)},
                              parameters=obj),
            "patch": _operation("update_object", "Change the fields given.", {
                "200": _json("Object", "Changed."), **_errors(400, 403, 404)}, parameters=obj, body="ObjectPatch"),
            "delete": _operation("delete_object", "Delete an object with its links.", {**deleted, **_errors(400, 403, 404)},
                                 parameters=obj),
        },
        "/workspaces/{workspace}/objects/{type}/{key}/links/{targets}/{name}": {
            "put": _operation("set_link", "Link (or include) a target, with an override, or exclude a Deployment.", {
                "200": _json("Object", "The object with its links."), **_errors(400, 403, 404)},
                parameters=link, body="LinkPut"),
            "delete": _operation("delete_link", "Unlink a target.", {**deleted, **_errors(400, 403, 404)}, parameters=link),
        },
        "/workspaces/{workspace}/objects/{type}/{key}/promote": {
            "post": _operation("promote_object", "Promote a Deployment's object to the Workspace.", {
                "200": _json("Object", "The Workspace object."), **_errors(400, 403, 404, 422)},
                parameters=[_WORKSPACE, _TYPE, _KEY, {**_SCOPE, "required": True}, _IDEMPOTENCY]),
        },
        "/workspaces/{workspace}/deployments/{name}/environment": {
            "get": _operation("get_environment", "A Deployment's effective environment, secrets as set / not set.", {
                "200": _json("Environment", "The effective environment."), **_errors(403, 404)},
                parameters=[_WORKSPACE, _param("name")]),
        },
        "/workspaces/{workspace}/apply": {
            "post": _operation("apply", "Apply a declarative document (docs/gitops.md), all or nothing.", {
                "200": _json("ApplyResult", "The plan, applied unless dry_run."), **_errors(400, 403, 404, 422)},
                parameters=[_WORKSPACE, _IDEMPOTENCY], body="ApplyRequest"),
        },
    }


@lru_cache(maxsize=1)
def manage_openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "envmanager management API", "version": API_VERSION,
                 "description": "Manage Workspaces with a personal access token (`emp_…`); see docs/api.md."},
        "servers": [{"url": "/api/v1/manage"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal access token (starts with 'emp_')."}},
            "schemas": _schemas(),
        },
    }


@csrf_exempt
def openapi(request):
    """The document (public: it describes shapes, holds no data)."""
    return method_not_allowed(request, ("GET", "HEAD"), use="GET") or api_json(manage_openapi_document())
