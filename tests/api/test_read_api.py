import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate as validate_openapi_document

from envmanager.api.openapi import openapi_document
from envmanager.models import ApiToken, AuditEntry
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.api.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD, WAREHOUSE_PASSWORD, bearer
from tests.api.openapi_check import assert_matches_openapi
from tests.factories import ConnectionFactory, VariableFactory

# (name, URL, OpenAPI path). The variable is dev's own secret variable: no other Deployment has it.
ENDPOINTS = [
    ("environment", "/api/v1/environment", "/environment"),
    ("connection", "/api/v1/connections/warehouse", "/connections/{conn_id}"),
    ("variable", "/api/v1/variables/api_key", "/variables/{key}"),
]
ENDPOINT_IDS = [name for name, _, _ in ENDPOINTS]
DEV_MARKERS = (WAREHOUSE_DEV_PASSWORD, API_KEY_VALUE, "db-dev.internal", "LOG_LEVEL")

pytestmark = pytest.mark.usefixtures("environment")


def _get(client, url, issued=None, **headers):
    if issued is not None:
        headers.update(bearer(issued))
    return client.get(url, **headers)


def _field(entry, name):
    return entry["fields"][name]["value"]


# --- Valid token ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_valid_token_reads_its_deployment_with_secrets(client, dev_token, name, url, doc_path):
    response = _get(client, url, dev_token)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert_matches_openapi(response, doc_path)
    body = response.json()
    if name == "environment":
        by_key = {(e["type"], e["key"]): e for e in body["entries"]}
        assert body["target"] == {"type": "deployment", "name": "dev", "workspace": "Data Platform"}
        assert set(by_key) == {
            ("connection", "warehouse"), ("variable", "api_key"), ("variable", "region"),
            ("env", "LOG_LEVEL"), ("metrics", "prometheus"),
        }
        assert [e["type"] for e in body["entries"]] == ["connection", "variable", "variable", "env", "metrics"]
        assert by_key[("variable", "region")]["source"] == "workspace"
        assert by_key[("variable", "api_key")]["source"] == "deployment"
        assert _field(by_key[("variable", "api_key")], "value") == API_KEY_VALUE
        assert _field(by_key[("env", "LOG_LEVEL")], "value") == "debug"
    elif name == "connection":
        assert body["source"] == "override"
        assert _field(body, "host") == "db-dev.internal"
        assert body["fields"]["host"]["source"] == "override"
        assert _field(body, "password") == WAREHOUSE_DEV_PASSWORD
        assert body["fields"]["password"]["secret"] is True
        assert _field(body, "login") == "etl"
        assert body["fields"]["login"]["source"] == "workspace"
        assert _field(body, "extra") == '{"sslmode": "require"}'  # the JSON text, as Airflow stores it
        assert _field(body, "port") == 5432
    else:
        assert (body["type"], body["key"], body["is_secret"]) == ("variable", "api_key", True)
        assert _field(body, "value") == API_KEY_VALUE


# --- Missing, invalid, revoked, other Deployment's token ------------------------------------------


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic ZGV2OnB3", "Token abc"], ids=repr
)
def test_missing_token_is_401(client, name, url, doc_path, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get(url, **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Cache-Control"] == "no-store"
    assert set(response.json()) == {"message", "extra"}
    assert_matches_openapi(response, doc_path)


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize(
    "token",
    ["emt_" + "A" * 43, "emt_short", "not-a-token-at-all", "emt_" + "x" * 500, "Bearer emt_" + "B" * 43],
    ids=["well-formed", "short", "garbage", "long", "doubled-scheme"],
)
def test_invalid_token_is_401(client, dev_token, name, url, doc_path, token):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert "not valid" in response.json()["message"]
    assert_matches_openapi(response, doc_path)


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_token_with_a_changed_character_is_401(client, dev_token, name, url, doc_path):
    tampered = dev_token.plain[:-1] + ("A" if dev_token.plain[-1] != "A" else "B")
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {tampered}")

    assert response.status_code == 401


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_revoked_token_is_401(client, revoked_token, name, url, doc_path):
    response = _get(client, url, revoked_token)

    assert response.status_code == 401
    assert_matches_openapi(response, doc_path)


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_token_stops_working_the_moment_it_is_revoked(client, dev_token, name, url, doc_path):
    assert _get(client, url, dev_token).status_code == 200

    token_services.api_token_revoke(api_token=dev_token.api_token, actor=None)

    assert _get(client, url, dev_token).status_code == 401


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_other_deployment_token_never_sees_this_deployments_data(client, prod_token, name, url, doc_path):
    response = _get(client, url, prod_token)

    assert_matches_openapi(response, doc_path)
    text = response.content.decode()
    for marker in DEV_MARKERS:
        assert marker not in text
    if name == "variable":
        assert response.status_code == 404  # dev's own variable does not exist for prod
    elif name == "connection":
        assert response.status_code == 200
        body = response.json()
        assert (_field(body, "host"), _field(body, "password")) == ("db.internal", WAREHOUSE_PASSWORD)
    else:
        keys = {(e["type"], e["key"]) for e in response.json()["entries"]}
        assert keys == {("connection", "warehouse"), ("variable", "region"), ("variable", "prod_only")}
        assert response.json()["target"]["name"] == "prod"


@pytest.mark.parametrize(("name", "url", "doc_path"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_other_workspace_token_never_sees_this_workspaces_data(
    client, other_deployment_token, name, url, doc_path
):
    response = _get(client, url, other_deployment_token)

    assert_matches_openapi(response, doc_path)
    text = response.content.decode()
    for marker in (*DEV_MARKERS, WAREHOUSE_PASSWORD, "db.internal", "eu-west-1"):
        assert marker not in text
    if name == "connection":
        assert _field(response.json(), "host") == "other.internal"
    elif name == "environment":
        assert response.json()["target"] == {"type": "deployment", "name": "dev", "workspace": "Other Team"}


# --- Unknown keys, methods, paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "doc_path", "kind", "key"),
    [
        ("/api/v1/connections/nope", "/connections/{conn_id}", "connection", "nope"),
        ("/api/v1/variables/nope", "/variables/{key}", "variable", "nope"),
        # A key of another type is not a variable: LOG_LEVEL is an environment variable.
        ("/api/v1/variables/LOG_LEVEL", "/variables/{key}", "variable", "LOG_LEVEL"),
        ("/api/v1/connections/region", "/connections/{conn_id}", "connection", "region"),
        ("/api/v1/connections/has%20space", "/connections/{conn_id}", "connection", "has space"),
        ("/api/v1/connections/a%2Fb%2F", "/connections/{conn_id}", "connection", "a/b/"),
        ("/api/v1/variables/100%25", "/variables/{key}", "variable", "100%"),
    ],
)
def test_unknown_key_is_404(client, dev_token, url, doc_path, kind, key):
    response = _get(client, url, dev_token)

    assert response.status_code == 404
    assert response.json() == {
        "message": f"No airflow {kind} '{key}' in Deployment 'dev'.", "extra": {"type": kind, "key": key}
    }
    assert response["Cache-Control"] == "no-store"
    assert_matches_openapi(response, doc_path)


# Keys Airflow accepts, and how a client writes them in the URL (UTF-8, percent-encoded; '/' as %2F).
ODD_KEYS = [
    ("connection", "odd:conn#id(1)", "/api/v1/connections/odd%3Aconn%23id%281%29"),
    ("connection", "соединение_бд", "/api/v1/connections/%D1%81%D0%BE%D0%B5%D0%B4%D0%B8%D0%BD%D0%B5%D0%BD%D0%B8%D0%B5_%D0%B1%D0%B4"),  # noqa: E501
    ("connection", "path/like\\win!", "/api/v1/connections/path%2Flike%5Cwin%21"),
    ("connection", "..", "/api/v1/connections/%2E%2E"),
    ("variable", "ключ_переменной", "/api/v1/variables/%D0%BA%D0%BB%D1%8E%D1%87_%D0%BF%D0%B5%D1%80%D0%B5%D0%BC%D0%B5%D0%BD%D0%BD%D0%BE%D0%B9"),  # noqa: E501
    ("variable", "𝐦𝐚𝐭𝐡.v-1", "/api/v1/variables/%F0%9D%90%A6%F0%9D%90%9A%F0%9D%90%AD%F0%9D%90%A1.v-1"),
]


@pytest.mark.parametrize(("kind", "key", "url"), ODD_KEYS, ids=[key for _, key, _ in ODD_KEYS])
def test_keys_airflow_accepts_are_served_url_encoded(client, workspace, dev, dev_token, kind, key, url):
    fields = {"conn_type": "http", "password": " spaced "} if kind == "connection" else {"value": " spaced "}
    env_object_services.env_object_create(workspace=workspace, deployment=dev, actor=None, kind=kind, key=key, fields=fields)
    secret_field = "password" if kind == "connection" else "value"

    response = _get(client, url, dev_token)

    assert response.status_code == 200, response.content
    assert (response.json()["key"], _field(response.json(), secret_field)) == (key, " spaced ")
    assert_matches_openapi(response, "/connections/{conn_id}" if kind == "connection" else "/variables/{key}")


def test_the_openapi_key_patterns_are_the_key_rules(client):
    """The documented path patterns accept what envmanager accepts (ECMA-262 syntax, read here by Python)."""
    import re

    from envmanager.kinds import key_error

    document = client.get("/api/v1/openapi.json").json()
    patterns = {
        "connection": document["paths"]["/connections/{conn_id}"]["get"]["parameters"][0]["schema"]["pattern"],
        "variable": document["paths"]["/variables/{key}"]["get"]["parameters"][0]["schema"]["pattern"],
    }
    samples = ["warehouse", "odd:conn#id(1)", "соединение_бд", "𝐦𝐚𝐭𝐡", "a b", "a/b", "a'b", "x" * 250, "x" * 251, "é\u0301", ""]
    for kind, pattern in patterns.items():
        for sample in samples:
            assert bool(re.fullmatch(pattern, sample)) == (key_error(kind, sample) is None), (kind, sample)


def test_excluded_deployment_gets_404_for_an_object_linked_to_all(client, dev_token, dev, environment):
    link_services.link_clear_override(env_object=environment["warehouse"], actor=None, target=dev)
    link_services.link_exclude(env_object=environment["warehouse"], actor=None, target=dev)

    assert _get(client, "/api/v1/connections/warehouse", dev_token).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_405_without_csrf_or_session(method, dev_token):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/environment", **bearer(dev_token))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert set(response.json()) == {"message", "extra"}


def test_api_needs_no_session_cookie_or_csrf_and_sets_none(dev_token):
    client = Client(enforce_csrf_checks=True)
    response = client.get("/api/v1/environment", **bearer(dev_token))

    assert response.status_code == 200
    assert not response.cookies
    assert "Authorization" in response["Vary"]


def test_unknown_api_path_is_a_json_404(client, dev_token):
    response = _get(client, "/api/v1/secrets/everything", dev_token)

    assert response.status_code == 404
    assert "openapi.json" in response.json()["message"]
    assert response["Content-Type"] == "application/json"


# --- IDE project tokens --------------------------------------------------------------------------


def test_ide_project_token_reads_only_objects_linked_to_the_project(client, ide_project, ide_token, workspace, environment):
    VariableFactory(workspace=workspace, key="notebook_only", fields={"value": "nb"})
    link_services.link_create(env_object=environment["region"], actor=None, target=ide_project)

    response = _get(client, "/api/v1/environment", ide_token)

    assert response.status_code == 200
    assert_matches_openapi(response, "/environment")
    body = response.json()
    assert body["target"] == {"type": "ide_project", "name": "notebooks", "workspace": "Data Platform"}
    # Linked to all Deployments is not linked to an IDE project; unlinked objects are not there.
    assert [(e["type"], e["key"]) for e in body["entries"]] == [("variable", "region")]
    assert _get(client, "/api/v1/variables/region", ide_token).json()["fields"]["value"]["value"] == "eu-west-1"
    missing = _get(client, "/api/v1/connections/warehouse", ide_token)
    assert missing.status_code == 404
    assert missing.json()["message"] == "No airflow connection 'warehouse' in IDE project 'notebooks'."


# --- ETag ----------------------------------------------------------------------------------------


def test_etag_round_trip(client, dev_token, dev):
    first = _get(client, "/api/v1/environment", dev_token)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    unchanged = _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert unchanged["Cache-Control"] == "no-store"
    assert_matches_openapi(unchanged, "/environment")
    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304
    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH='"stale"').status_code == 200

    api_key = dev.env_objects.get(key="api_key")
    env_object_services.env_object_update(env_object=api_key, actor=None, fields={"value": "rotated-secret"})

    changed = _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    values = {e["key"]: e["fields"].get("value", {}).get("value") for e in changed.json()["entries"]}
    assert values["api_key"] == "rotated-secret"
    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_etag_changes_when_an_object_is_deleted_or_an_override_added(client, dev_token, dev, environment):
    etag = _get(client, "/api/v1/environment", dev_token)["ETag"]
    env_object_services.env_object_delete(env_object=dev.env_objects.get(key="LOG_LEVEL"), actor=None)
    after_delete = _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=etag)
    assert after_delete.status_code == 200

    link_services.link_set_override(env_object=environment["region"], actor=None, target=dev, fields={"value": "eu-central-1"})
    after_override = _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=after_delete["ETag"])
    assert after_override.status_code == 200
    assert after_override["ETag"] not in (etag, after_delete["ETag"])


def test_etags_of_two_deployments_differ(client, dev_token, prod_token):
    assert _get(client, "/api/v1/environment", dev_token)["ETag"] != _get(client, "/api/v1/environment", prod_token)["ETag"]


# --- Query counts --------------------------------------------------------------------------------


def _add_objects(workspace, deployment, n):
    for i in range(n):
        linked = ConnectionFactory(workspace=workspace, key=f"bulk_conn_{i}", fields={"conn_type": "http", "password": f"p{i}"})
        link_services.link_create(env_object=linked, actor=None, target=deployment)
        VariableFactory(workspace=workspace, deployment=deployment, key=f"bulk_var_{i}", is_secret=bool(i % 2),
                        fields={"value": f"v{i}"})


@pytest.mark.parametrize("n", [2, 6])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # The token, then the two reads of the effective environment.
        ("/api/v1/environment", 3),
        # The token, then one statement for the key's Deployment and Workspace rows.
        ("/api/v1/connections/bulk_conn_1", 2),
        ("/api/v1/variables/bulk_var_1", 2),
    ],
)
def test_query_count_does_not_grow_with_objects(
    client, dev_token, workspace, dev, n, url, queries, django_assert_num_queries
):
    _add_objects(workspace, dev, n)
    ApiToken.objects.filter(pk=dev_token.api_token.pk).update(last_used_at=timezone.now())

    with django_assert_num_queries(queries):
        response = _get(client, url, dev_token)
    assert response.status_code == 200
    if url.endswith("environment"):
        assert len(response.json()["entries"]) == 5 + 2 * n


def test_a_missing_or_malformed_token_costs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/api/v1/environment").status_code == 401
        assert client.get("/api/v1/environment", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


# --- last_used_at --------------------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(client, dev_token, django_assert_num_queries):
    with django_assert_num_queries(3):  # first use: token, UPDATE last_used_at, the variable
        _get(client, "/api/v1/variables/api_key", dev_token)
    first_use = ApiToken.objects.get(pk=dev_token.api_token.pk).last_used_at
    assert first_use is not None

    with django_assert_num_queries(2):  # within the minute: no write
        _get(client, "/api/v1/variables/api_key", dev_token)
    assert ApiToken.objects.get(pk=dev_token.api_token.pk).last_used_at == first_use

    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=dev_token.api_token.pk).update(last_used_at=an_hour_ago)
    _get(client, "/api/v1/variables/api_key", dev_token)
    assert ApiToken.objects.get(pk=dev_token.api_token.pk).last_used_at > an_hour_ago


def test_concurrent_mark_used_writes_once(dev_token):
    """Two workers that both loaded the token before either wrote: the UPDATE's condition lets one through."""
    a = ApiToken.objects.get(pk=dev_token.api_token.pk)
    b = ApiToken.objects.get(pk=dev_token.api_token.pk)
    now = timezone.now()

    assert token_services.api_token_mark_used(api_token=a, now=now) is True
    assert token_services.api_token_mark_used(api_token=b, now=now + timedelta(seconds=1)) is False
    assert ApiToken.objects.get(pk=dev_token.api_token.pk).last_used_at == now


# --- Secrets stay out of logs and audit ----------------------------------------------------------


def test_token_never_appears_in_logs_or_audit(client, dev_token, revoked_token, caplog):
    caplog.set_level(logging.DEBUG)
    for url, _, _ in [*ENDPOINTS, ("/api/v1/connections/nope", None, None)]:
        _get(client, url, dev_token)
        _get(client, url, revoked_token)

    assert dev_token.plain not in caplog.text
    assert revoked_token.plain not in caplog.text
    audit_text = json.dumps(list(AuditEntry.objects.values()), default=str)
    for issued in (dev_token, revoked_token):
        assert issued.plain not in audit_text
        assert issued.api_token.token_hash not in audit_text


def test_reads_write_no_audit_entry_per_request(client, dev_token):
    """Airflow reads constantly: the read API is not audited per request (exports are; docs/audit.md)."""
    before = AuditEntry.objects.count()
    for _, url, _ in ENDPOINTS * 3:
        assert _get(client, url, dev_token).status_code == 200
    assert AuditEntry.objects.count() == before


# --- The OpenAPI document ------------------------------------------------------------------------


def test_openapi_document_is_served_publicly_and_is_valid_openapi(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document == json.loads(json.dumps(openapi_document()))
    validate_openapi_document(document)
    assert set(document["paths"]) == {
        "/environment", "/connections/{conn_id}", "/variables/{key}", "/env/{name}", "/metrics/{key}", "/openapi.json"
    }


def test_every_documented_response_is_produced_and_matches(client, dev_token, revoked_token):
    """Walk every (path, status) in the document; each must be reachable and match its schema."""
    produced = set()
    requests = {
        ("/environment", "200"): ("/api/v1/environment", dev_token, {}),
        ("/environment", "401"): ("/api/v1/environment", revoked_token, {}),
        ("/connections/{conn_id}", "200"): ("/api/v1/connections/warehouse", dev_token, {}),
        ("/connections/{conn_id}", "401"): ("/api/v1/connections/warehouse", None, {}),
        ("/connections/{conn_id}", "404"): ("/api/v1/connections/missing", dev_token, {}),
        ("/variables/{key}", "200"): ("/api/v1/variables/region", dev_token, {}),
        ("/variables/{key}", "401"): ("/api/v1/variables/region", revoked_token, {}),
        ("/variables/{key}", "404"): ("/api/v1/variables/missing", dev_token, {}),
        ("/env/{name}", "200"): ("/api/v1/env/LOG_LEVEL", dev_token, {}),
        ("/env/{name}", "401"): ("/api/v1/env/LOG_LEVEL", None, {}),
        ("/env/{name}", "404"): ("/api/v1/env/MISSING", dev_token, {}),
        ("/metrics/{key}", "200"): ("/api/v1/metrics/prometheus", dev_token, {}),
        ("/metrics/{key}", "401"): ("/api/v1/metrics/prometheus", revoked_token, {}),
        ("/metrics/{key}", "404"): ("/api/v1/metrics/missing", dev_token, {}),
        ("/environment", "400"): ("/api/v1/environment?kinds=connections,secrets", dev_token, {}),
        ("/openapi.json", "200"): ("/api/v1/openapi.json", None, {}),
    }
    etag = _get(client, "/api/v1/environment", dev_token)["ETag"]
    requests[("/environment", "304")] = ("/api/v1/environment", dev_token, {"HTTP_IF_NONE_MATCH": etag})

    for (doc_path, status), (url, issued, headers) in requests.items():
        response = _get(client, url, issued, **headers)
        assert str(response.status_code) == status, (doc_path, status)
        assert_matches_openapi(response, doc_path)
        produced.add((doc_path, status))

    documented = {
        (path, status)
        for path, item in openapi_document()["paths"].items()
        for status in item["get"]["responses"]
    }
    assert produced == documented


def test_all_four_types_match_their_schemas(client, dev_token):
    response = _get(client, "/api/v1/environment", dev_token)

    assert {e["type"] for e in response.json()["entries"]} == {"connection", "variable", "env", "metrics"}
    assert_matches_openapi(response, "/environment")


def test_a_response_with_an_extra_field_would_fail_the_schema_check():
    """The check is strict enough to catch drift between the API and the document."""
    from django.http import JsonResponse

    drifted = JsonResponse({"message": "x", "extra": {}, "detail": "unexpected"}, status=404)
    with pytest.raises(AssertionError):
        assert_matches_openapi(drifted, "/variables/{key}")
