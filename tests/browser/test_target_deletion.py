"""Delete a Deployment in Chromium: from its settings, the dialog lists what goes and wants the name typed."""

import pytest
from playwright.sync_api import expect

from envmanager.models import Deployment
from tests.browser.conftest import screenshot, sign_in, type_to_confirm
from tests.factories import VariableFactory

pytestmark = pytest.mark.browser


def test_operator_deletes_a_deployment_after_typing_its_name(page, operator, workspace, dev, prod):
    VariableFactory(workspace=workspace, deployment=dev, key="dev_only")
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/")
    page.get_by_role("link", name="Edit settings").click()
    page.get_by_role("dialog").get_by_role("link", name="Delete Deployment").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("dev_only")
    confirm = dialog.get_by_role("button", name="Delete Deployment")
    type_to_confirm(dialog, "dev", confirm)
    screenshot(page, "30-delete-deployment-dialog")
    confirm.click()

    expect(page).to_have_url(f"{page.url.split('/workspaces/')[0]}/workspaces/{workspace.pk}/deployments/")
    expect(page.get_by_role("status")).to_contain_text("Deleted Deployment 'dev'.")
    assert list(Deployment.objects.values_list("name", flat=True)) == ["prod"]
