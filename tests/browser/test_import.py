"""Bulk import in Chromium: paste a .env, read the preview row by row, import; the values arrive exactly."""

import pytest
from playwright.sync_api import expect

from envmanager.models import EnvObject
from envmanager.selectors.env_objects import plaintext_values
from tests.browser.conftest import screenshot, sign_in
from tests.factories import EnvVarFactory

pytestmark = pytest.mark.browser


def test_operator_pastes_a_dotenv_previews_and_imports(page, operator, workspace):
    EnvVarFactory(workspace=workspace, key="REGION", fields={"value": "us"})
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/environment-variables/")
    page.get_by_role("link", name="Import…").click()
    page.get_by_label("File format").select_option("dotenv")
    page.get_by_label("Paste the file").fill('REGION="eu west"\nAPI_TOKEN=\'t=k n\'\nGREETING="héllo\\n  world "\nnot valid\n')
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("table.import-preview")
    expect(page.get_by_text("2 new, 1 to update, 0 unchanged, 1 invalid.")).to_be_visible()
    expect(preview.locator("tr", has_text="REGION")).to_contain_text("Differs: Value")
    expect(preview.locator("tr", has_text="line 4")).to_contain_text("cannot be read as KEY=value")
    expect(page.get_by_label("Paste the file")).to_have_value("")  # the pasted secrets are not sent back
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import 3 changes").click()
    expect(page.get_by_role("status")).to_contain_text("Imported into Workspace 'Data Platform': 2 new objects, 1 updated")
    values = {obj.key: plaintext_values(obj)["value"] for obj in EnvObject.objects.all()}
    assert values == {"REGION": "eu west", "API_TOKEN": "t=k n", "GREETING": "héllo\n  world "}
