"""Promote an environment variable in Chromium: the typed-key confirmation, then the new scope and link."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in, type_to_confirm
from tests.browser.test_environment_pages import row, row_action
from tests.factories import EnvVarFactory

pytestmark = pytest.mark.browser


def test_operator_promotes_an_environment_variable_after_typing_its_key(page, operator, workspace, dev, prod):
    EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL", fields={"value": "DEBUG"})
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/environment-variables/")
    expect(row(page, "LOG_LEVEL")).to_contain_text("Deployment object")

    row_action(page, "LOG_LEVEL", "Promote to Workspace Environment").click()
    dialog = page.get_by_role("dialog")
    confirm = dialog.get_by_role("button", name="Promote LOG_LEVEL")
    type_to_confirm(dialog, "LOG_LEVEL", confirm)
    screenshot(page, "20-promote-dialog")
    confirm.click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("Promoted environment variable 'LOG_LEVEL'")
    expect(row(page, "LOG_LEVEL")).to_contain_text("Workspace")
    expect(row(page, "LOG_LEVEL")).to_contain_text("Workspace object")
    expect(row(page, "LOG_LEVEL")).to_contain_text("dev")
    screenshot(page, "21-promoted")
