"""History → Revert in Chromium: from the object's row to its timeline, the confirmation, and the new version."""

import pytest
from playwright.sync_api import expect

from envmanager.models import EnvObject
from envmanager.services import env_objects as env_object_services
from tests.browser.conftest import screenshot, sign_in, submit_dialog
from tests.browser.test_environment_pages import row_action
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.browser


def test_operator_reverts_a_connection_from_its_history(page, operator, workspace):
    connection = ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "host": "db1", "password": "first-pw"}
    )
    first_token = EnvObject.objects.get(pk=connection.pk).secrets["password"]
    env_object_services.env_object_update(
        env_object=connection, actor=operator, fields={"host": "db2", "password": "second-pw"}
    )
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")

    row_action(page, "warehouse", "History").click()
    expect(page.get_by_role("heading", name="History: Connection 'warehouse'")).to_be_visible()
    latest = page.locator("tr[data-version='2']")
    expect(latest).to_contain_text("host: 'db1' → 'db2'")
    expect(latest).to_contain_text("password: changed (secret)")
    expect(page.locator("body")).not_to_contain_text("second-pw")

    page.locator("tr[data-version='1']").get_by_role("link", name="Revert to this version").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Revert Connection 'warehouse' to version 1?")
    expect(dialog).to_contain_text("password: set (secret)")
    screenshot(page, "30-revert-dialog")
    submit_dialog(dialog, "Revert to version 1", status="Reverted to version 1; that is now version 3.")

    newest = page.locator("tr[data-version='3']")
    expect(newest).to_contain_text("Reverted")
    expect(newest).to_contain_text("host: 'db2' → 'db1'")
    screenshot(page, "31-reverted")
    stored = EnvObject.objects.get(pk=connection.pk)
    assert stored.secrets["password"] == first_token and stored.reveal("password") == "first-pw"
