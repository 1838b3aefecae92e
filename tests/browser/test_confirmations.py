"""Confirm before harm, in Chromium: unlink, override removal, token revocation and an export each ask first,
saying what is lost or revealed; Cancel changes nothing."""

import pytest
from playwright.sync_api import expect

from envmanager.models import ApiToken, AuditEntry, Link
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.browser.conftest import screenshot, sign_in, submit_dialog
from tests.browser.test_environment_pages import row, row_action
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def warehouse(workspace, dev):
    conn = ConnectionFactory(workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "password": "pw-canary"})
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_set_override(env_object=conn, actor=None, target=dev, fields={"host": "dev.internal"})
    return conn


def _environment(page, workspace, dev):
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/")


def test_unlink_asks_and_names_the_override_it_drops(page, operator, workspace, dev, warehouse):
    sign_in(page, operator)
    _environment(page, workspace, dev)
    dialog = page.get_by_role("dialog")
    row_action(page, "warehouse", "Unlink warehouse from dev").click()
    expect(dialog).to_contain_text("Unlink connection warehouse from Deployment 'dev'?")
    expect(dialog).to_contain_text("The override in Deployment 'dev' is dropped: Host.")
    screenshot(page, "confirm-unlink")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Link.objects.filter(env_object=warehouse, deployment=dev).exists()

    row_action(page, "warehouse", "Unlink warehouse from dev").click()
    submit_dialog(dialog, "Unlink", status="Unlinked connection 'warehouse' from Deployment 'dev'.")
    expect(row(page, "warehouse")).to_have_count(0)
    assert not Link.objects.filter(env_object=warehouse, deployment=dev).exists()


def test_remove_override_asks_from_the_override_dialog(page, operator, workspace, dev, warehouse):
    sign_in(page, operator)
    _environment(page, workspace, dev)
    dialog = page.get_by_role("dialog")
    row_action(page, "warehouse", "Override warehouse in dev").click()
    dialog.get_by_role("link", name="Remove override").click()
    expect(dialog).to_contain_text("These overridden values are lost:")
    expect(dialog.locator("li")).to_have_text(["Host"])
    submit_dialog(dialog, "Remove override", status="Removed the override")
    assert not Link.objects.get(env_object=warehouse, deployment=dev).has_override


def test_export_and_revoke_ask_and_the_export_is_audited(page, owner, workspace, dev, warehouse):
    token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/")
    dialog = page.get_by_role("dialog")
    page.get_by_role("button", name="Connections (airflow connections import)").click()
    expect(dialog).to_contain_text("Export dev as connections?")
    expect(dialog).to_contain_text("1 secret value in clear text: connection 'warehouse'.")
    screenshot(page, "confirm-export")
    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="Download").click()
    expect(dialog).to_be_hidden()
    assert "pw-canary" in open(download_info.value.path()).read()
    entry = AuditEntry.objects.get(action="environment.export")
    assert (entry.actor, entry.changes["format"]) == (owner, "connections")

    page.get_by_role("link", name="Revoke API token airflow-dev").click()
    expect(dialog).to_contain_text("gets 401 from its next request on")
    screenshot(page, "confirm-revoke")
    dialog.get_by_role("button", name="Revoke token").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#token-section")).to_contain_text("revoked")
    assert ApiToken.objects.get().revoked_at is not None
