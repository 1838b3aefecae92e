"""Confirmations before unlink, override removal, token revocation and exports: a GET says what is lost or
revealed and changes nothing; Owners and Operators may ask, Authors and Members are refused, other
Workspaces answer 404."""

import pytest

from envmanager.models import ApiToken, AuditEntry, Link
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.factories import VariableFactory
from tests.views.conftest import EDITORS, htmx_headers, sign_in, url


@pytest.fixture
def setup(workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_set_override(
        env_object=conn, actor=None, target=dev, fields={"host": "override.internal", "password": "override-pw"}
    )
    VariableFactory(workspace=workspace, deployment=dev, key="api_key", fields={"value": "sk-canary"}, is_secret=True)
    token = token_services.api_token_create(actor=None, name="airflow-prod", target=dev).api_token
    return {
        "unlink": url("env-object-unlink", workspace.pk, conn.pk, dev.pk),
        "override": url("deployment-override-remove", workspace.pk, dev.pk, conn.pk),
        "revoke": url("deployment-token-revoke", workspace.pk, dev.pk, token.pk),
        "export": url("deployment-export", workspace.pk, dev.pk, "dotenv"),
    }


def _unchanged(conn, dev):
    link = Link.objects.get(env_object=conn, deployment=dev)
    assert link.override_data == {"host": "override.internal"} and "password" in link.override_secrets
    assert ApiToken.objects.get().revoked_at is None
    assert not AuditEntry.objects.filter(action__in=["link.delete", "environment.export"]).exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "dialog"])
def test_each_confirmation_says_what_is_lost_or_revealed_and_changes_nothing(client, operator, setup, conn, dev, htmx):
    sign_in(client, operator)
    pages = {name: client.get(address, headers=htmx_headers(address) if htmx else {}) for name, address in setup.items()}
    html = {name: response.content.decode() for name, response in pages.items()}
    assert all(response.status_code == 200 for response in pages.values())
    assert "Deployment &#x27;dev&#x27; no longer receives it" in html["unlink"]
    assert "is dropped: Host, Password (secret)." in html["unlink"]
    assert "<li>Host</li>" in html["override"] and "<li>Password (secret)</li>" in html["override"]
    assert "gets 401 from its next request on" in html["revoke"]
    revealed = "2 secret values in clear text: connection &#x27;warehouse&#x27;, Airflow variable &#x27;api_key&#x27;."
    assert revealed in html["export"]
    assert "data-download" in html["export"] and "hx-post" not in html["export"]
    for text in html.values():
        # Never a value: neither secrets nor the override's plain values.
        assert "hunter2-pw" not in text and "override-pw" not in text and "sk-canary" not in text
        assert ('id="modal-title"' in text) and (text.lstrip().startswith("<form") == htmx)
    assert pages["export"]["Cache-Control"] == "no-store"
    _unchanged(conn, dev)


def test_confirmed_actions_do_what_the_confirmation_said(client, owner, setup, conn, dev):
    sign_in(client, owner)
    response = client.post(setup["export"], {"airflow": "3"})
    assert response["Content-Disposition"].startswith("attachment")
    entry = AuditEntry.objects.get(action="environment.export")
    assert (entry.actor, entry.changes["format"]) == (owner, "dotenv")
    assert "sk-canary" not in str(entry.changes) and "hunter2" not in str(entry.changes)
    assert client.post(setup["override"], headers=htmx_headers()).status_code == 200
    assert not Link.objects.get(env_object=conn, deployment=dev).has_override
    assert client.post(setup["unlink"], headers=htmx_headers()).status_code == 200
    assert not Link.objects.filter(env_object=conn, deployment=dev).exists()
    assert client.post(setup["revoke"], headers=htmx_headers()).status_code == 200
    assert ApiToken.objects.get().revoked_at is not None


@pytest.mark.parametrize("role", ["author", "member", "outsider"])
def test_roles_without_permission_get_no_confirmation(client, users, setup, conn, dev, role):
    sign_in(client, users[role])
    for address in setup.values():
        expected = 404 if role == "outsider" else 403
        assert client.get(address).status_code == expected, address
        assert client.post(address).status_code == expected, address
    _unchanged(conn, dev)


@pytest.mark.parametrize("role", EDITORS)
def test_owners_and_operators_may_ask(client, users, setup, role):
    sign_in(client, users[role])
    assert all(client.get(address).status_code == 200 for address in setup.values())


def test_exclude_and_include_stay_post_only(client, operator, workspace, dev, conn):
    sign_in(client, operator)
    assert client.get(url("env-object-exclude", workspace.pk, conn.pk, dev.pk)).status_code == 405
