"""Secrets are write-only: a marker planted in every secret field appears on no page, fragment or form,
and neither does any Fernet token."""

import pytest

from envmanager.models import EnvObject
from envmanager.services import links as link_services
from envmanager.services import workspaces as workspace_services
from tests.conftest import airflow_url
from tests.factories import (
    ConnectionFactory,
    EnvVarFactory,
    MetricsExportFactory,
    VariableFactory,
)
from tests.views.conftest import htmx_headers, sign_in, url

MARKER = "CANARY-b7e1c4d2"
FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with its version byte and a timestamp
KINDS = ("connections", "variables", "environment-variables", "metrics-exports")


@pytest.fixture
def secrets_everywhere(workspace, dev, prod, ide):
    """One object of each type with the marker in each secret field, overrides and Deployment settings."""
    conn = ConnectionFactory(workspace=workspace, key="warehouse", fields={
        "conn_type": "postgres", "host": "db", "password": MARKER, "extra": {"token": MARKER},
    })
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_create(env_object=conn, actor=None, target=ide)
    link_services.link_set_override(
        env_object=conn, actor=None, target=dev,
        fields={"password": f"{MARKER}-dev", "extra": {"region": "eu", "private_key": MARKER}},
    )
    variable = VariableFactory(workspace=workspace, key="api_token", is_secret=True, fields={"value": MARKER},
                               linked_to_all=True)
    link_services.link_set_override(env_object=variable, actor=None, target=prod, fields={"value": f"{MARKER}-prod"})
    link_services.link_create(env_object=variable, actor=None, target=ide)
    link_services.link_set_override(env_object=variable, actor=None, target=ide, fields={"value": f"{MARKER}-ide"})
    env = EnvVarFactory(workspace=workspace, deployment=dev, key="DB_PASSWORD", is_secret=True, fields={"value": MARKER})
    metrics = MetricsExportFactory(workspace=workspace, key="grafana", linked_to_all=True, fields={
        "endpoint": "https://prom.example.com/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "basic", "username": "u", "password": MARKER, "headers": {"X-Key": MARKER},
    })
    workspace_services.deployment_update(
        deployment=dev, actor=None, metadata_db_url=airflow_url(f"dev-{MARKER}"),
    )
    return {"conn": conn, "variable": variable, "env": env, "metrics": metrics}


def addresses(workspace, dev, prod, ide, objects):
    pages = [
        url("home"), url("workspace-detail", workspace.pk), url("deployment-list", workspace.pk),
        url("deployment-detail", workspace.pk, dev.pk), url("deployment-detail", workspace.pk, prod.pk),
        url("ide-project-list", workspace.pk), url("ide-project-detail", workspace.pk, ide.pk),
        url("audit-list", workspace.pk), url("audit-list", workspace.pk) + "?q=warehouse",
        url("deployment-create", workspace.pk), url("deployment-settings", workspace.pk, dev.pk),
        url("member-list", workspace.pk), url("workspace-rename", workspace.pk), url("ide-project-create", workspace.pk),
        url("ide-project-rename", workspace.pk, ide.pk),
    ]
    for slug in KINDS:
        pages += [
            url("workspace-environment", workspace.pk, slug),
            url("workspace-environment", workspace.pk, slug) + "?scope=all",
            url("deployment-environment", workspace.pk, dev.pk, slug),
            url("deployment-environment", workspace.pk, prod.pk, slug),
            url("ide-project-environment", workspace.pk, ide.pk, slug),
            url("env-object-create", workspace.pk, slug),
            url("deployment-env-object-create", workspace.pk, dev.pk, slug),
        ]
    for obj in objects.values():
        pages += [url("env-object-edit", workspace.pk, obj.pk), url("env-object-delete", workspace.pk, obj.pk)]
        if obj.deployment_id is None:
            pages += [
                url("env-object-links", workspace.pk, obj.pk),
                url("deployment-override-edit", workspace.pk, dev.pk, obj.pk),
                url("deployment-override-edit", workspace.pk, prod.pk, obj.pk),
                url("ide-project-override-edit", workspace.pk, ide.pk, obj.pk),
            ]
    return pages


def assert_no_secret(body: str, where: str) -> None:
    assert MARKER not in body, where
    assert FERNET_PREFIX not in body, where


@pytest.mark.parametrize("role", ["owner", "author"])
def test_no_page_or_fragment_shows_a_secret(client, users, workspace, dev, prod, ide, secrets_everywhere, role):
    sign_in(client, users[role])
    seen = 0
    for address in addresses(workspace, dev, prod, ide, secrets_everywhere):
        for headers in ({}, htmx_headers(address)):
            response = client.get(address, headers=headers)
            assert response.status_code in (200, 403), address
            seen += response.status_code == 200
            assert_no_secret(response.content.decode(), address)
    assert seen >= 50  # the check ran on real pages, not only refusals
    # The secret-bearing objects are listed (as masked rows) for both roles.
    html = client.get(url("deployment-environment", workspace.pk, dev.pk, "environment-variables")).content.decode()
    assert "DB_PASSWORD" in html and "•••" in html


def test_forms_sent_back_with_errors_show_no_secret(client, owner, workspace, dev, ide, secrets_everywhere):
    sign_in(client, owner)
    conn, metrics = secrets_everywhere["conn"], secrets_everywhere["metrics"]
    posts = [
        (url("env-object-edit", workspace.pk, conn.pk), {"conn_type": "postgres", "port": "x", "password": MARKER}),
        (url("env-object-create", workspace.pk, "variables"), {"key": "bad key", "value": MARKER, "is_secret": "on"}),
        (url("env-object-edit", workspace.pk, metrics.pk), {
            "endpoint": "nope", "exporter_type": "statsd", "auth_type": "bearer", "password": MARKER,
            "headers_key": ["X-Key"], "headers_value": [MARKER],
        }),
        (url("deployment-override-edit", workspace.pk, dev.pk, conn.pk), {"password": MARKER, "extra": "{broken"}),
        (url("ide-project-override-edit", workspace.pk, ide.pk, conn.pk), {"password": MARKER, "extra": "{broken"}),
        (url("deployment-override-edit", workspace.pk, dev.pk, conn.pk), {  # Extra key by key: a typed secret
            "extra_rows_key": ["region", "private_key", "api_key", "retries"],
            "extra_rows_value": ["us", "", MARKER, "{oops"], "extra_rows_type": ["text", "text", "text", "json"],
            "extra_rows_original": ["region", "private_key", "", ""],
        }),
        (url("deployment-create", workspace.pk), {
            "name": "new", "execution_mode": "standard", "metadata_db_url": f"sqlite:////etc/{MARKER}.db",
            "fernet_keys": MARKER,
        }),
    ]
    for address, data in posts:
        for headers in ({}, htmx_headers(address)):
            response = client.post(address, data, headers=headers)
            assert response.status_code == 200, address
            assert "errorlist" in response.content.decode() or "form-errors" in response.content.decode()
            assert_no_secret(response.content.decode(), address)
    conn.refresh_from_db()
    assert conn.reveal("password") == MARKER  # nothing changed by the bad posts
    assert EnvObject.objects.filter(key="bad key").count() == 0
