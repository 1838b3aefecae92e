"""Every management-API endpoint × every role × another Workspace: the status the role allows, a body the
OpenAPI document describes, and never a secret value (canary) in any response."""

import pytest

from envmanager.api.manage.openapi import manage_openapi_document
from envmanager.models import EnvObject
from envmanager.services import links as link_services
from tests.api.manage.conftest import ManageClient, ws
from tests.api.openapi_check import assert_matches_openapi
from tests.factories import DeploymentFactory, VariableFactory

pytestmark = pytest.mark.django_db

CANARY = "canary-secret-0c7e1d"
W = ws("Data Platform")
# (operation id, method, URL after the Workspace, documented path, body, the least role allowed)
ENDPOINTS = [
    ("get_workspace", "GET", "", "/workspaces/{workspace}", None, "member"),
    ("list_objects", "GET", "/objects?type=variable", "/workspaces/{workspace}/objects", None, "author"),
    ("create_object", "POST", "/objects", "/workspaces/{workspace}/objects",
     {"type": "variable", "key": "new", "is_secret": True, "fields": {"value": CANARY}}, "operator"),
    ("get_object", "GET", "/objects/variable/region", "/workspaces/{workspace}/objects/{type}/{key}", None, "author"),
    ("update_object", "PATCH", "/objects/variable/region", "/workspaces/{workspace}/objects/{type}/{key}",
     {"fields": {"description": "changed"}}, "operator"),
    ("delete_object", "DELETE", "/objects/variable/region", "/workspaces/{workspace}/objects/{type}/{key}", None, "operator"),
    ("set_link", "PUT", "/objects/variable/region/links/deployments/prod",
     "/workspaces/{workspace}/objects/{type}/{key}/links/{targets}/{name}", {"override": {"value": "p"}}, "operator"),
    ("delete_link", "DELETE", "/objects/variable/region/links/deployments/dev",
     "/workspaces/{workspace}/objects/{type}/{key}/links/{targets}/{name}", None, "operator"),
    ("promote_object", "POST", "/objects/variable/own/promote?deployment=dev",
     "/workspaces/{workspace}/objects/{type}/{key}/promote", None, "operator"),
    ("get_environment", "GET", "/deployments/dev/environment",
     "/workspaces/{workspace}/deployments/{name}/environment", None, "author"),
    ("apply", "POST", "/apply", "/workspaces/{workspace}/apply",
     {"document": {"version": 1, "objects": [{"type": "env", "key": "NEW_ENV", "fields": {"value": "x"}}]}}, "operator"),
]
ROLES = ["owner", "operator", "author", "member"]
RANK = {role: rank for rank, role in enumerate(reversed(ROLES))}
SUCCESS = {"POST": {"create_object": 201}, "DELETE": 204}


@pytest.fixture
def world(workspace, other_workspace, dev, prod, warehouse):
    """Objects in our Workspace, and the same names in another one (whose Owner is `outsider`)."""
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    link_services.link_create(env_object=region, actor=None, target=dev)
    VariableFactory(workspace=workspace, deployment=dev, key="own", is_secret=True, fields={"value": CANARY})
    theirs = DeploymentFactory(workspace=other_workspace, name="dev")
    VariableFactory(workspace=other_workspace, key="region", fields={"value": "their-region"})
    VariableFactory(workspace=other_workspace, deployment=theirs, key="own", fields={"value": "their-own"})


def _expected(operation: str, method: str, least: str, role: str) -> int:
    if role == "outsider":
        return 404
    if RANK[role] < RANK[least]:
        return 403
    if method == "DELETE":
        return 204
    return 201 if operation == "create_object" else 200


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
@pytest.mark.parametrize(("operation", "method", "url", "path", "body", "least"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_endpoint_role_and_workspace(request, world, pat, operation, method, url, path, body, least, role):
    user = request.getfixturevalue(role)
    before = list(EnvObject.objects.order_by("pk").values())
    response = ManageClient(pat(user)).call(method, W + url, body)

    assert response.status_code == _expected(operation, method, least, role), response.content
    assert_matches_openapi(response, path, method.lower(), document=manage_openapi_document())
    for secret in (CANARY, "wh-workspace-pw-5b1e", "wh-dev-override-pw-77c2"):
        assert secret.encode() not in response.content
    if response.status_code >= 400:
        assert list(EnvObject.objects.order_by("pk").values()) == before  # a refusal changes nothing
        assert b"their-" not in response.content


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_workspace_list_shows_only_the_users_workspaces(request, world, pat, role):
    response = ManageClient(pat(request.getfixturevalue(role))).get("/workspaces")

    assert_matches_openapi(response, "/workspaces", document=manage_openapi_document())
    names = [item["name"] for item in response.json()["items"]]
    assert names == (["Other Team"] if role == "outsider" else ["Data Platform"])


def test_the_openapi_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/manage/openapi.json")
    assert response.status_code == 200
    validate(response.json())
