"""Issue #13: O(1) revalidation of `/api/v1/environment`, `?kinds=`, `/env/<name>`, `/metrics/<key>`, readers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from envmanager.kinds import Kind
from envmanager.models import ApiToken, ApiTokenReader, Workspace
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from envmanager.services.readers import READER_WRITE_INTERVAL, reader_seen
from envmanager.services.workspaces import deployment_update
from tests.api.conftest import bearer
from tests.api.openapi_check import assert_matches_openapi
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    EnvVarFactory,
    MetricsExportFactory,
    VariableFactory,
)

pytestmark = pytest.mark.usefixtures("environment")
READER = "worker-1.example:4242:a1b2c3"


def _get(client, url, issued, **headers):
    return client.get(url, **bearer(issued), **headers)


def _etag(client, issued, kinds=None):
    url = "/api/v1/environment" + (f"?kinds={kinds}" if kinds else "")
    response = _get(client, url, issued)
    assert response.status_code == 200
    return response["ETag"]


def _fresh_last_used(issued):
    ApiToken.objects.filter(pk=issued.api_token.pk).update(last_used_at=timezone.now())


# --- A 304 costs the token query alone -----------------------------------------------------------


@pytest.mark.parametrize("n", [0, 40])
def test_a_304_costs_one_query_whatever_the_size_of_the_environment(
    client, workspace, dev, dev_token, n, django_assert_num_queries
):
    for i in range(n):
        linked = ConnectionFactory(workspace=workspace, key=f"bulk_{i}", fields={"conn_type": "http", "password": "p"})
        link_services.link_create(env_object=linked, actor=None, deployment=dev)
    etag = _etag(client, dev_token)
    _fresh_last_used(dev_token)

    with django_assert_num_queries(1):  # the token row, which carries the Workspace's environment version
        response = _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_304_from_a_known_reader_writes_nothing(client, dev_token, django_assert_num_queries):
    first = _get(client, "/api/v1/environment", dev_token, HTTP_X_ENVMANAGER_READER=READER)
    _fresh_last_used(dev_token)

    with django_assert_num_queries(1):  # the reader's row comes with the token's
        response = _get(
            client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_X_ENVMANAGER_READER=READER
        )
    assert response.status_code == 304


# --- Every change a target can receive changes its ETag ------------------------------------------


def _changes(workspace, dev, environment):
    """(name, change) pairs: each is a service call that alters what `dev` receives."""
    region = environment["region"]
    warehouse = environment["warehouse"]
    state = {}

    def create():
        state["new"] = VariableFactory(workspace=workspace, key="new_var", fields={"value": "1"})
        link_services.link_create(env_object=state["new"], actor=None, deployment=dev)

    return [
        ("object create", lambda: EnvVarFactory(workspace=workspace, deployment=dev, key="NEW_ENV", fields={"value": "x"})),
        ("object create + link", create),
        ("object update", lambda: env_object_services.env_object_update(
            env_object=region, actor=None, fields={"value": "eu-north-1"})),
        ("override set", lambda: link_services.link_set_override(
            env_object=region, actor=None, deployment=dev, fields={"value": "dev-region"})),
        ("override remove", lambda: link_services.link_clear_override(env_object=region, actor=None, deployment=dev)),
        ("unlink", lambda: link_services.link_delete(env_object=region, actor=None, deployment=dev)),
        ("link", lambda: link_services.link_create(env_object=region, actor=None, deployment=dev)),
        ("override remove (linked to all)", lambda: link_services.link_clear_override(
            env_object=warehouse, actor=None, deployment=dev)),
        ("exclude", lambda: link_services.deployment_exclude(env_object=warehouse, actor=None, deployment=dev)),
        ("include", lambda: link_services.deployment_include(env_object=warehouse, actor=None, deployment=dev)),
        ("unlink from all", lambda: link_services.env_object_set_linked_to_all(
            env_object=warehouse, actor=None, linked_to_all=False)),
        ("link to all", lambda: link_services.env_object_set_linked_to_all(
            env_object=warehouse, actor=None, linked_to_all=True)),
        ("object delete", lambda: env_object_services.env_object_delete(env_object=state["new"], actor=None)),
        ("Deployment rename", lambda: deployment_update(deployment=dev, name="dev-renamed")),
    ]


def test_every_kind_of_change_changes_the_etag_and_no_other_workspaces_does(
    client, workspace, dev, dev_token, environment, other_workspace
):
    other = DeploymentFactory(workspace=other_workspace, name="theirs")
    other_token = token_services.api_token_create(actor=None, name="theirs", deployment=other)
    other_etag = _etag(client, other_token)
    seen = {_etag(client, dev_token)}
    for name, change in _changes(workspace, dev, environment):
        before = _etag(client, dev_token)
        change()
        response = _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=before)
        assert response.status_code == 200, name
        assert response["ETag"] not in seen, name
        seen.add(response["ETag"])
        # Another Workspace's target keeps its ETag through all of it.
        assert _get(client, "/api/v1/environment", other_token, HTTP_IF_NONE_MATCH=other_etag).status_code == 304, name

    # ... and a change over there leaves ours alone.
    mine = _etag(client, dev_token)
    EnvVarFactory(workspace=other_workspace, deployment=other, key="THEIRS", fields={"value": "1"})
    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=mine).status_code == 304
    assert _get(client, "/api/v1/environment", other_token, HTTP_IF_NONE_MATCH=other_etag).status_code == 200


def test_reads_exports_and_token_changes_keep_the_etag(client, dev, dev_token):
    from envmanager.services.exports import environment_export_record

    etag = _etag(client, dev_token)
    environment_export_record(actor=None, export_format="dotenv", deployment=dev)
    token_services.api_token_create(actor=None, name="second", deployment=dev)
    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.django_db(transaction=True)
def test_promotion_changes_the_etag(client, workspace, dev, dev_token):
    from envmanager.services.promotion import env_object_promote

    own = VariableFactory(workspace=workspace, deployment=dev, key="to_promote", fields={"value": "v"})
    etag = _etag(client, dev_token)
    env_object_promote(env_object=own, actor=None)
    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_migration_changes_the_etag(client, workspace, dev, airflow_db):
    from envmanager.services.migration import airflow_migration_apply

    dev.refresh_from_db()
    issued = token_services.api_token_create(actor=None, name="migrating", deployment=dev)
    etag = _etag(client, issued)
    airflow_db.add_variable("only_in_airflow", "v")
    ids = [row[0] for row in airflow_db.conn.execute("SELECT id FROM variable WHERE key = 'only_in_airflow'")]
    result = airflow_migration_apply(deployment=dev, kind=Kind.VARIABLE, source_ids=ids, actor=None)
    assert result.migrated == ["only_in_airflow"]
    response = _get(client, "/api/v1/environment", issued, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "only_in_airflow" in {entry["key"] for entry in response.json()["entries"] if entry["type"] == "variable"}


def test_a_rolled_back_change_leaves_the_version_alone(workspace, dev, environment):
    from django.db import transaction

    before = Workspace.objects.get(pk=workspace.pk).environment_version
    with pytest.raises(RuntimeError), transaction.atomic():
        env_object_services.env_object_update(env_object=environment["region"], actor=None, fields={"value": "x"})
        assert Workspace.objects.get(pk=workspace.pk).environment_version == before + 1
        raise RuntimeError
    assert Workspace.objects.get(pk=workspace.pk).environment_version == before


# --- ?kinds= -------------------------------------------------------------------------------------


def test_kinds_narrows_the_entries_and_has_its_own_etag(client, dev_token):
    whole = _get(client, "/api/v1/environment", dev_token)
    narrow = _get(client, "/api/v1/environment?kinds=connections,variables", dev_token)

    assert narrow.status_code == 200
    assert_matches_openapi(narrow, "/environment")
    assert {e["type"] for e in narrow.json()["entries"]} == {"connection", "variable"}
    assert narrow.json()["entries"] == [e for e in whole.json()["entries"] if e["type"] in ("connection", "variable")]
    assert narrow["ETag"] != whole["ETag"]
    assert _etag(client, dev_token, "variables,connections") == narrow["ETag"]  # order does not matter
    assert _get(
        client, "/api/v1/environment?kinds=connections,variables", dev_token, HTTP_IF_NONE_MATCH=whole["ETag"]
    ).status_code == 200
    assert narrow.json()["airflow_metrics_settings"] == {}


def test_metrics_settings_come_with_metrics_exports(client, dev_token):
    from envmanager_airflow.formats import airflow_metrics_settings

    body = _get(client, "/api/v1/environment?kinds=env,metrics", dev_token).json()
    assert {e["type"] for e in body["entries"]} == {"env", "metrics"}
    assert body["airflow_metrics_settings"] == airflow_metrics_settings()


@pytest.mark.parametrize("kinds", ["secrets", "connections,", "", "Connections", "connection", "env,nope", "env%20"])
def test_an_unknown_kind_is_a_json_400(client, dev_token, kinds):
    response = _get(client, "/api/v1/environment", dev_token, QUERY_STRING=f"kinds={kinds}")

    assert response.status_code == 400
    assert response.json()["extra"]["parameter"] == "kinds"
    assert "connections, variables, env, metrics" in response.json()["message"]
    assert_matches_openapi(response, "/environment")


# --- /env/<name>, /metrics/<key> -----------------------------------------------------------------


def test_env_and_metrics_lookups(client, workspace, dev, dev_token):
    MetricsExportFactory(
        workspace=workspace, deployment=dev, key="with.dots-1",
        fields={"endpoint": "https://otlp.example.com", "exporter_type": "otlp_http", "auth_type": "bearer",
                "password": "metrics-token-secret"},
    )
    env = _get(client, "/api/v1/env/LOG_LEVEL", dev_token)
    metrics = _get(client, "/api/v1/metrics/with.dots-1", dev_token)

    assert env.status_code == 200 and env.json()["fields"]["value"]["value"] == "debug"
    assert metrics.json()["fields"]["password"]["value"] == "metrics-token-secret"
    assert_matches_openapi(env, "/env/{name}")
    assert_matches_openapi(metrics, "/metrics/{key}")
    missing = _get(client, "/api/v1/env/NOPE", dev_token)
    assert missing.status_code == 404
    assert missing.json()["extra"] == {"type": "env", "key": "NOPE"}
    # A connection is not an environment variable of the same name.
    assert _get(client, "/api/v1/env/warehouse", dev_token).status_code == 404


def test_env_lookup_of_another_deployment_is_404(client, prod_token):
    assert _get(client, "/api/v1/env/LOG_LEVEL", prod_token).status_code == 404


# --- Readers -------------------------------------------------------------------------------------


def test_a_reader_is_recorded_with_the_version_it_holds(client, workspace, dev, dev_token, environment):
    _get(client, "/api/v1/environment", dev_token, HTTP_X_ENVMANAGER_READER=READER)
    row = ApiTokenReader.objects.get(token_id=dev_token.api_token.pk, reader=READER)
    version = Workspace.objects.get(pk=workspace.pk).environment_version
    assert row.version == version

    env_object_services.env_object_update(env_object=environment["region"], actor=None, fields={"value": "x"})
    _get(client, "/api/v1/environment", dev_token, HTTP_X_ENVMANAGER_READER=READER)
    row.refresh_from_db()
    assert row.version == version + 1
    # No header: nothing recorded (lookup-mode backends hold no snapshot).
    _get(client, "/api/v1/environment", dev_token)
    assert ApiTokenReader.objects.count() == 1


def test_a_reader_is_written_when_its_version_changes_or_every_interval(dev_token):
    api_token = token_services.api_token_authenticate(plain=dev_token.plain, reader=READER)
    now = timezone.now()
    assert reader_seen(api_token=api_token, reader=READER, version=3, now=now)
    api_token = token_services.api_token_authenticate(plain=dev_token.plain, reader=READER)
    assert api_token.reader_row[0] == 3
    assert not reader_seen(api_token=api_token, reader=READER, version=3, now=now + READER_WRITE_INTERVAL / 2)
    assert reader_seen(api_token=api_token, reader=READER, version=4, now=now + READER_WRITE_INTERVAL / 2)
    api_token = token_services.api_token_authenticate(plain=dev_token.plain, reader=READER)
    later = now + READER_WRITE_INTERVAL * 2
    assert reader_seen(api_token=api_token, reader=READER, version=4, now=later)
    assert ApiTokenReader.objects.get().seen_at == later


def test_readers_gone_for_a_day_are_pruned_when_a_new_one_appears(dev_token):
    old = timezone.now() - timedelta(days=2)
    ApiTokenReader.objects.create(token_id=dev_token.api_token.pk, reader="gone:1:x", version=1, seen_at=old)
    api_token = token_services.api_token_authenticate(plain=dev_token.plain, reader=READER)
    reader_seen(api_token=api_token, reader=READER, version=1)
    assert list(ApiTokenReader.objects.values_list("reader", flat=True)) == [READER]


@pytest.mark.parametrize("reader", ["has space", "x" * 201, "ключ", "tab\there"])
def test_a_malformed_reader_header_is_a_json_400(client, dev_token, reader):
    response = _get(client, "/api/v1/environment", dev_token, HTTP_X_ENVMANAGER_READER=reader)
    assert response.status_code == 400
    assert response.json()["extra"] == {"header": "X-Envmanager-Reader"}
    assert not ApiTokenReader.objects.exists()


def test_key_rotation_keeps_the_etag_because_no_value_changes(client, dev_token, settings):
    from cryptography.fernet import Fernet

    from envmanager.services.rotation import encryption_keys_rotate

    before = _get(client, "/api/v1/environment", dev_token)
    settings.ENVMANAGER_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENVMANAGER_ENCRYPTION_KEYS]
    assert encryption_keys_rotate().secrets_rotated > 0

    assert _get(client, "/api/v1/environment", dev_token, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    assert _get(client, "/api/v1/environment", dev_token).content == before.content  # same values, re-encrypted
