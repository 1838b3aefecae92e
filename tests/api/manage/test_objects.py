"""Management API behaviour: create / PATCH / delete semantics, secrets write-only, links, audit naming the
token, Idempotency-Key, cursor pagination and flat query counts."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.models import AuditEntry, EnvObject, IdempotentRequest, Link
from envmanager.selectors.env_objects import plaintext_values
from tests.api.manage.conftest import ws
from tests.factories import VariableFactory

pytestmark = pytest.mark.django_db

W = ws("Data Platform")
SECRET = "manage-api-secret-4e1b"


@pytest.fixture
def owner_api(api, owner):
    return api(owner)


def test_create_answers_201_with_secrets_as_set(owner_api, workspace):
    response = owner_api.post(W + "/objects", {
        "type": "connection", "key": "db/main", "fields": {"conn_type": "postgres", "host": "h", "password": SECRET,
                                                              "port": 5432}})
    assert response.status_code == 201
    body = response.json()
    assert body["fields"]["password"] == "set" and body["fields"]["extra"] == "not set"
    assert SECRET not in response.content.decode()
    env_object = EnvObject.objects.get(key="db/main")
    assert plaintext_values(env_object)["password"] == SECRET
    # A key with '/' is addressed URL-encoded.
    assert owner_api.get(W + "/objects/connection/db%2Fmain").json()["key"] == "db/main"


@pytest.mark.parametrize(("body", "member"), [
    ({"type": "variable", "key": "a", "colour": "red"}, "colour"),
    ({"type": "nope", "key": "a"}, "type"),
    ({"type": "connection", "key": "c", "fields": {"conn_type": "x", "port": "not a number"}}, "fields.port"),
    ({"type": "connection", "key": "c", "fields": {"conn_type": 5}}, "fields.conn_type"),
    ({"type": "variable", "key": "bad key"}, "key"),
    ({"type": "variable", "key": "a", "deployment": "missing", "fields": {"value": "1"}}, None),
])
def test_bad_bodies_are_refused_with_a_clear_error_and_change_nothing(owner_api, workspace, body, member):
    response = owner_api.post(W + "/objects", body)
    assert response.status_code in (400, 404)
    assert set(response.json()) == {"message", "extra"}
    if member:
        assert member in response.content.decode()
    assert not EnvObject.objects.exists()


@pytest.mark.parametrize("raw", [b"not json", b"[1]", b"\xff"])
def test_a_body_that_is_not_a_json_object_is_400(owner_api, workspace, raw):
    assert owner_api.call("POST", W + "/objects", raw=raw).status_code == 400


def test_patch_sets_only_the_fields_given_and_null_clears_a_secret(owner_api, workspace, warehouse):
    response = owner_api.patch(W + "/objects/connection/warehouse", {"fields": {"port": 6432}})
    assert response.status_code == 200
    values = plaintext_values(EnvObject.objects.get(pk=warehouse.pk))
    assert values["port"] == 6432 and values["host"] == "db.internal" and values["password"] == "wh-workspace-pw-5b1e"

    owner_api.patch(W + "/objects/connection/warehouse", {"fields": {"password": None}})
    assert plaintext_values(EnvObject.objects.get(pk=warehouse.pk))["password"] is None


def test_patch_is_all_or_nothing(owner_api, workspace, warehouse):
    before = EnvObject.objects.values().get(pk=warehouse.pk)
    response = owner_api.patch(W + "/objects/connection/warehouse", {"fields": {"port": 1}, "is_secret": True})
    assert response.status_code == 400
    assert EnvObject.objects.values().get(pk=warehouse.pk) == before


def test_links_override_exclusion_and_unlink(owner_api, workspace, dev, prod, warehouse):
    base = W + "/objects/connection/warehouse/links/deployments/"
    assert owner_api.put(base + "prod", {"excluded": True}).status_code == 200
    assert Link.objects.get(deployment=prod).excluded
    response = owner_api.put(base + "prod", {"override": {"host": "prod-db"}})
    assert response.status_code == 200
    link = Link.objects.get(deployment=prod)
    assert not link.excluded and link.override_data == {"host": "prod-db"}
    owner_api.put(base + "prod", {"override": {"host": None}})
    assert Link.objects.get(deployment=prod).override_data == {}

    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    assert owner_api.put(W + "/objects/variable/region/links/deployments/dev", {}).status_code == 200
    assert owner_api.delete(W + "/objects/variable/region/links/deployments/dev").status_code == 204
    assert not region.links.exists()
    assert owner_api.put(W + "/objects/variable/region/links/elsewhere/dev", {}).status_code == 404


def test_every_write_is_audited_as_made_through_the_token(api, owner, workspace):
    client = api(owner)
    client.post(W + "/objects", {"type": "env", "key": "A", "fields": {"value": "1"}})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ENV_OBJECT_CREATE)
    assert entry.actor == owner
    assert entry.changes["via"].startswith("personal access token 'ci-0' (emp_")
    assert client.token not in json.dumps(entry.changes)


def test_a_retry_with_the_same_idempotency_key_returns_the_first_result(owner_api, workspace):
    body = {"type": "variable", "key": "once", "fields": {"value": "1"}}
    first = owner_api.post(W + "/objects", body, headers={"Idempotency-Key": "k1"})
    again = owner_api.post(W + "/objects", body, headers={"Idempotency-Key": "k1"})

    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert EnvObject.objects.filter(key="once").count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_CREATE).count() == 1
    other = owner_api.post(W + "/objects", {**body, "key": "twice"}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422 and not EnvObject.objects.filter(key="twice").exists()
    # Without the key, the same request is a second request (and a duplicate key).
    assert owner_api.post(W + "/objects", body).status_code == 400


def test_an_idempotency_key_is_per_user(api, owner, operator, workspace):
    api(owner).post(W + "/objects", {"type": "env", "key": "A", "fields": {"value": "1"}}, headers={"Idempotency-Key": "k"})
    response = api(operator).post(W + "/objects", {"type": "env", "key": "B", "fields": {"value": "1"}},
                                  headers={"Idempotency-Key": "k"})
    assert response.status_code == 201 and IdempotentRequest.objects.count() == 2


def test_cursor_pagination_walks_every_object_once(owner_api, workspace):
    for i in range(7):
        VariableFactory(workspace=workspace, key=f"v{i}", fields={"value": str(i)})
    seen, cursor = [], None
    while True:
        response = owner_api.get(W + "/objects?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [item["key"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"v{i}" for i in range(7)]
    assert owner_api.get(W + "/objects?cursor=!!").status_code == 400
    assert owner_api.get(W + "/objects?limit=0").status_code == 400
    assert [i["key"] for i in owner_api.get(W + "/objects?q=v3").json()["items"]] == ["v3"]


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/objects", "/deployments/dev/environment"])
def test_list_endpoints_run_a_fixed_number_of_queries(owner_api, workspace, dev, prod, path):
    def add(start, stop):
        for i in range(start, stop):
            obj = VariableFactory(workspace=workspace, key=f"v{i}", fields={"value": str(i)})
            Link.objects.create(env_object=obj, deployment=dev)
            Link.objects.create(env_object=obj, deployment=prod, override_data={"value": "p"})

    url = W + path + ("?limit=200" if path == "/objects" else "")
    add(0, 10)
    owner_api.get(url)  # the token's first use writes its last-used time; measure the requests after it
    few = _queries(owner_api, url)
    add(10, 100)
    assert _queries(owner_api, url) == few


def test_promote_makes_the_deployment_object_a_workspace_object(owner_api, workspace, dev):
    VariableFactory(workspace=workspace, deployment=dev, key="own", fields={"value": "mine"})
    response = owner_api.post(W + "/objects/variable/own/promote?deployment=dev")
    assert response.status_code == 200
    assert response.json()["deployment"] is None and response.json()["links"][0]["name"] == "dev"
    assert owner_api.post(W + "/objects/variable/own/promote").status_code == 400


def test_unknown_paths_and_methods_answer_json(owner_api, workspace):
    assert owner_api.get("/nothing-here").status_code == 404
    response = owner_api.call("PUT", "/workspaces")
    assert response.status_code == 405 and response["Allow"] == "GET"


def test_an_idempotency_key_is_forgotten_after_a_day(owner_api, workspace):
    from datetime import timedelta

    from django.utils import timezone

    body = {"type": "variable", "key": "daily", "fields": {"value": "1"}}
    owner_api.post(W + "/objects", body, headers={"Idempotency-Key": "nightly"})
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    EnvObject.objects.filter(key="daily").delete()

    response = owner_api.post(W + "/objects", body, headers={"Idempotency-Key": "nightly"})
    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")
    assert EnvObject.objects.filter(key="daily").exists() and IdempotentRequest.objects.count() == 1
