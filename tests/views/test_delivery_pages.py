import base64
import json
import re

import pytest
import yaml
from django.urls import reverse

from envmanager.models import ApiToken, AuditEntry
from envmanager.services import tokens as token_services
from envmanager_airflow.formats import airflow_metrics_settings
from tests.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD
from tests.views.conftest import sign_in


def _tokens_url(workspace, dev):
    return reverse("envmanager:deployment-tokens", args=[workspace.pk, dev.pk])


def _export_url(workspace, dev, export_format):
    return reverse("envmanager:deployment-export", args=[workspace.pk, dev.pk, export_format])


# --- Tokens --------------------------------------------------------------------------------------


def test_the_token_page_sits_in_the_workspace_layout_with_a_table_like_the_others(client, operator, workspace, dev):
    token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    sign_in(client, operator)
    page = client.get(_tokens_url(workspace, dev)).content.decode()
    assert '<nav class="sections" aria-label="Workspace">' in page and "You are <strong" in page
    assert '<table class="objects tokens">' in page
    for label in ("Token", "Created", "Last used", "Status"):  # the column names cards show on a phone
        assert f'<td data-label="{label}">' in page
    assert 'class="button small danger"' in page and 'aria-label="Revoke API token airflow-dev">Revoke</a>' in page


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_owner_and_operator_create_a_token_shown_exactly_once(client, request, workspace, dev, role):
    user = request.getfixturevalue(role)
    sign_in(client, user)

    created = client.post(_tokens_url(workspace, dev), {"name": "airflow-dev"})

    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(deployment=dev, name="airflow-dev")
    plain = re.search(r'id="new-token-value"[^>]*value="(emt_[^"]+)"', created.content.decode()).group(1)
    assert token_services.token_hash(plain) == token.token_hash
    assert token.created_by == user
    assert 'data-copy-target="new-token-value"' in created.content.decode()
    assert "<script nonce" not in created.content.decode()  # copying is in the site's own script file (CSP)

    listed = client.get(_tokens_url(workspace, dev))
    assert plain not in listed.content.decode()
    assert token.prefix in listed.content.decode()
    assert "airflow-dev" in listed.content.decode()


def test_htmx_gets_only_the_token_section(client, owner, workspace, dev):
    sign_in(client, owner)

    response = client.get(_tokens_url(workspace, dev), HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="token-section"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_a_bad_name_re_renders_the_form_with_the_error_and_creates_nothing(client, owner, workspace, dev):
    sign_in(client, owner)

    response = client.post(_tokens_url(workspace, dev), {"name": "   "}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "needs a name" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_from_the_page(client, operator, workspace, dev):
    issued = token_services.api_token_create(actor=None, name="old", target=dev)
    sign_in(client, operator)
    url = reverse("envmanager:deployment-token-revoke", args=[workspace.pk, dev.pk, issued.api_token.pk])

    response = client.post(url, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    issued.api_token.refresh_from_db()
    assert issued.api_token.revoked_at is not None and issued.api_token.revoked_by == operator
    assert "revoked" in response.content.decode()
    # The dialog closes: the answer empties it out of band.
    assert 'id="modal-body" hx-swap-oob="innerHTML"' in response.content.decode()


def test_a_token_of_another_deployment_cannot_be_revoked_through_this_one(client, owner, workspace, dev, prod):
    issued = token_services.api_token_create(actor=None, name="prod", target=prod)
    sign_in(client, owner)

    response = client.post(reverse("envmanager:deployment-token-revoke", args=[workspace.pk, dev.pk, issued.api_token.pk]))

    assert response.status_code == 404
    issued.api_token.refresh_from_db()
    assert issued.api_token.revoked_at is None


@pytest.mark.parametrize("role", ["author", "member"])
def test_authors_and_members_may_not_manage_tokens(client, request, workspace, dev, role):
    sign_in(client, request.getfixturevalue(role))

    assert client.get(_tokens_url(workspace, dev)).status_code == 403
    assert client.post(_tokens_url(workspace, dev), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_outsiders_get_404(client, outsider, workspace, dev):
    sign_in(client, outsider)

    assert client.get(_tokens_url(workspace, dev)).status_code == 404
    assert client.post(_export_url(workspace, dev, "dotenv")).status_code == 404


def test_anonymous_users_are_sent_to_login(client, workspace, dev):
    response = client.get(_tokens_url(workspace, dev))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Exports -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize(
    ("export_format", "filename"),
    [("connections", "dev-connections.json"), ("variables", "dev-variables.json"), ("dotenv", "dev.env"),
     ("k8s-secret", "dev-secret.yaml"), ("otel-collector", "dev-otel-collector.yaml")],
)
@pytest.mark.parametrize("role", ["owner", "operator"])
def test_owner_and_operator_download_exports(client, request, workspace, dev, role, export_format, filename):
    user = request.getfixturevalue(role)
    sign_in(client, user)

    response = client.post(_export_url(workspace, dev, export_format))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Cache-Control"] == "no-store"
    if export_format == "connections":
        assert json.loads(response.content)["warehouse"]["password"] == WAREHOUSE_DEV_PASSWORD
    elif export_format == "k8s-secret":
        # Environment variables only, and the [metrics] settings: the environment has a metrics export.
        assert set(yaml.safe_load(response.content)["data"]) == {"LOG_LEVEL", *airflow_metrics_settings()}
    elif export_format == "otel-collector":
        config = yaml.safe_load(response.content)
        assert config["service"]["pipelines"] and config["exporters"]
    else:
        assert API_KEY_VALUE in response.content.decode()
    entry = AuditEntry.objects.get(action="environment.export")
    assert (entry.actor, entry.changes["format"], entry.changes["channel"]) == (user, export_format, "web")


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("role", ["author", "member"])
def test_authors_and_members_may_not_export(client, request, workspace, dev, role):
    sign_in(client, request.getfixturevalue(role))

    response = client.post(_export_url(workspace, dev, "dotenv"))

    assert response.status_code == 403
    assert API_KEY_VALUE not in response.content.decode()
    assert not AuditEntry.objects.filter(action="environment.export").exists()


def test_export_downloads_only_by_post_and_unknown_formats_do_not_route(client, owner, workspace, dev):
    sign_in(client, owner)

    # A GET is the confirmation (tests/views/test_confirmations.py): no file, no audit entry.
    response = client.get(_export_url(workspace, dev, "dotenv"))
    assert "Content-Disposition" not in response.headers
    assert not AuditEntry.objects.filter(action="environment.export").exists()
    assert client.post(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/export/yaml/").status_code == 404


def test_export_needs_csrf(owner, workspace, dev):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    sign_in(client, owner)

    assert client.post(_export_url(workspace, dev, "dotenv")).status_code == 403


# --- IDE projects --------------------------------------------------------------------------------


@pytest.mark.usefixtures("environment")
def test_ide_project_tokens_and_exports_need_the_export_permission(client, owner, author, workspace, ide_project):
    tokens_url = reverse("envmanager:ide-project-tokens", args=[workspace.pk, ide_project.pk])
    export_url = reverse("envmanager:ide-project-export", args=[workspace.pk, ide_project.pk, "variables"])

    sign_in(client, author)
    assert client.get(tokens_url).status_code == 403
    assert client.post(export_url).status_code == 403

    sign_in(client, owner)
    created = client.post(tokens_url, {"name": "laptop"})
    assert created.status_code == 200
    assert ApiToken.objects.get(ide_project=ide_project).name == "laptop"
    assert client.post(export_url).status_code == 200


def test_ide_project_of_another_workspace_is_404(client, owner, workspace, other_workspace):
    from tests.factories import IdeProjectFactory

    theirs = IdeProjectFactory(workspace=other_workspace)
    sign_in(client, owner)

    assert client.get(reverse("envmanager:ide-project-tokens", args=[workspace.pk, theirs.pk])).status_code == 404


@pytest.mark.usefixtures("environment")
def test_download_options_choose_airflow_2_variables_and_a_secret_with_airflow_objects(client, owner, workspace, dev):
    sign_in(client, owner)

    variables = client.post(_export_url(workspace, dev, "variables"), {"airflow": "2"})
    secret = client.post(_export_url(workspace, dev, "k8s-secret"), {"include_airflow_objects": "on"})

    assert variables["Content-Disposition"] == 'attachment; filename="dev-variables-airflow2.json"'
    assert json.loads(variables.content) == {"api_key": API_KEY_VALUE, "region": "eu-west-1"}
    data = yaml.safe_load(secret.content)["data"]
    assert base64.b64decode(data["AIRFLOW_VAR_API_KEY"]).decode() == API_KEY_VALUE
    assert "AIRFLOW_CONN_WAREHOUSE" in data


def test_unknown_download_options_are_a_clear_400_and_export_nothing(client, owner, workspace, dev):
    sign_in(client, owner)

    response = client.post(_export_url(workspace, dev, "variables"), {"airflow": "4"})

    assert response.status_code == 400
    assert "Select a valid choice. 4 is not one of the available choices." in response.content.decode()
    assert not AuditEntry.objects.filter(action="environment.export").exists()


# --- The panels on the Deployment and IDE project pages -------------------------------------------


def test_deployment_panel_offers_tokens_and_exports_to_operators_only(client, operator, author, workspace, dev):
    page = reverse("envmanager:deployment-detail", args=[workspace.pk, dev.pk])

    sign_in(client, operator)
    body = client.get(page).content.decode()
    assert _tokens_url(workspace, dev) in body
    for export_format in ("connections", "variables", "dotenv", "k8s-secret"):
        assert _export_url(workspace, dev, export_format) in body
    assert 'name="airflow" value="2"' in body and 'name="include_airflow_objects"' in body

    sign_in(client, author)
    body = client.get(page).content.decode()
    assert _tokens_url(workspace, dev) not in body
    assert _export_url(workspace, dev, "connections") not in body


def test_ide_project_panel_links_its_tokens_and_exports(client, owner, workspace, ide_project):
    sign_in(client, owner)

    body = client.get(reverse("envmanager:ide-project-detail", args=[workspace.pk, ide_project.pk])).content.decode()

    assert reverse("envmanager:ide-project-tokens", args=[workspace.pk, ide_project.pk]) in body
    assert reverse("envmanager:ide-project-export", args=[workspace.pk, ide_project.pk, "dotenv"]) in body
