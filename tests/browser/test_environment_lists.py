"""The Environment lists in Chromium: the ⋯ row menu by keyboard, copy buttons, the search, bulk delete on the
Workspace page and bulk unlink on a Deployment's tab."""

import pytest
from playwright.sync_api import expect

from envmanager.models import EnvObject, Link
from envmanager.services import links as link_services
from tests.browser.conftest import screenshot, sign_in, submit_dialog
from tests.browser.test_environment_pages import row
from tests.factories import ConnectionFactory, VariableFactory

pytestmark = pytest.mark.browser

SECRET = "s3cr3t-canary"


@pytest.fixture
def objects(workspace):
    ConnectionFactory(workspace=workspace, key="warehouse",
                      fields={"conn_type": "postgres", "host": "db.internal", "password": SECRET})
    ConnectionFactory(workspace=workspace, key="lake", fields={"conn_type": "s3", "host": "lake.internal"})
    ConnectionFactory(workspace=workspace, key="cache", fields={"conn_type": "redis", "host": "cache.internal"})
    VariableFactory(workspace=workspace, key="api_key", is_secret=True, fields={"value": SECRET})


def test_row_menu_opens_and_closes_by_keyboard(page, operator, workspace, objects):
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    menu_button = row(page, "lake").locator("details.row-menu > summary")
    menu_button.focus()
    page.keyboard.press("Enter")
    edit = row(page, "lake").get_by_role("link", name="Edit lake")
    expect(edit).to_be_visible()
    expect(row(page, "lake").get_by_role("link", name="Delete lake")).to_be_visible()
    screenshot(page, "lists-row-menu")
    page.keyboard.press("Tab")
    expect(edit).to_be_focused()
    page.keyboard.press("Escape")
    expect(edit).to_be_hidden()
    expect(menu_button).to_be_focused()


def test_copy_buttons_copy_keys_and_plain_values_never_secrets(page, operator, workspace, objects):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    row(page, "warehouse").get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("status")).to_contain_text("Copied the key")
    assert page.evaluate("navigator.clipboard.readText()") == "warehouse"
    row(page, "warehouse").get_by_role("button", name="Copy host of warehouse").click()
    assert page.evaluate("navigator.clipboard.readText()") == "db.internal"
    # Nothing on the page holds a secret to copy.
    assert SECRET not in page.content()
    page.get_by_role("navigation", name="Object types").get_by_role("link", name="Airflow Variables").click()
    expect(row(page, "api_key")).to_contain_text("•••")
    expect(row(page, "api_key").get_by_role("button", name="Copy value of api_key")).to_have_count(0)
    expect(row(page, "api_key").get_by_role("button", name="Copy key")).to_have_count(1)


def test_copy_without_a_clipboard_says_how_to_copy(page, operator, workspace, objects):
    page.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined });")
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    row(page, "lake").get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("status")).to_contain_text("select the text and press Ctrl+C")


def test_search_across_types_by_key_and_plain_value(page, author, workspace, objects):
    sign_in(page, author)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    page.get_by_role("searchbox", name="Search all types").fill("internal")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Search the Environment")).to_be_visible()
    results = page.locator("#search-results")
    for key in ("cache", "lake", "warehouse"):
        expect(results.get_by_role("link", name=key, exact=True)).to_be_visible()
    page.get_by_role("searchbox", name="Search all types").fill("api")  # live, as typed
    expect(results.get_by_role("link", name="api_key")).to_be_visible()
    expect(results.get_by_role("link", name="lake")).to_have_count(0)
    page.get_by_role("searchbox", name="Search all types").fill("canary")
    expect(results).to_contain_text("Nothing matches “canary”")
    screenshot(page, "lists-search")
    page.get_by_role("searchbox", name="Search all types").fill("lake")
    results.get_by_role("link", name="lake").click()
    expect(row(page, "lake")).to_be_visible()
    expect(row(page, "warehouse")).to_have_count(0)  # the list filtered by the key


def _apply_bulk_action(page, action: str):
    """Choose `action` (its value or its label) for the ticked rows, press Apply and return its confirmation."""
    page.get_by_label("Bulk action").select_option(action)
    page.get_by_role("button", name="Apply to selected").click()
    return page.get_by_role("dialog")


def test_bulk_delete_with_a_confirmation_listing_the_keys(page, operator, workspace, objects):
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    apply = page.get_by_role("button", name="Apply to selected")
    expect(apply).to_be_hidden()  # the choices show once a row is ticked
    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.get_by_role("checkbox", name="Select warehouse").uncheck()
    expect(page.get_by_text("2 selected")).to_be_visible()
    dialog = _apply_bulk_action(page, "delete")
    expect(dialog).to_contain_text("Delete 2 objects?")
    expect(dialog).to_contain_text("Connection cache — not linked anywhere")
    expect(dialog).to_contain_text("Connection lake — not linked anywhere")
    expect(dialog).not_to_contain_text("warehouse")
    screenshot(page, "lists-bulk-delete-confirmation")
    submit_dialog(dialog, "Delete 2 objects", status="Deleted 2 objects.")
    expect(row(page, "lake")).to_have_count(0)
    expect(row(page, "warehouse")).to_be_visible()
    assert sorted(EnvObject.objects.filter(kind="connection").values_list("key", flat=True)) == ["warehouse"]


def test_authors_get_no_checkboxes(page, author, workspace, objects):
    sign_in(page, author)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    expect(row(page, "lake")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(0)


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1360, "height": 900}


@pytest.fixture
def dev_rows(workspace, dev):
    """dev receives three Workspace connections and has one of its own."""
    for key in ("lake", "cache", "warehouse"):
        link_services.link_create(env_object=ConnectionFactory(workspace=workspace, key=key), actor=None, target=dev)
    ConnectionFactory(workspace=workspace, deployment=dev, key="dev_only")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-390", "desktop-1360"])
def test_bulk_unlink_on_a_deployments_tab(page, operator, workspace, dev, dev_rows, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/")
    apply = page.get_by_role("button", name="Apply to selected")
    expect(apply).to_be_hidden()  # the choices show once a row is ticked
    header = page.get_by_role("checkbox", name="Select all on this page")
    header.check()
    expect(page.get_by_text("4 selected")).to_be_visible()
    expect(apply).to_be_visible()
    header.uncheck()
    expect(apply).to_be_hidden()
    for key in ("lake", "cache", "dev_only"):
        page.get_by_role("checkbox", name=f"Select {key}").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    assert header.evaluate("box => box.indeterminate")
    screenshot(page, f"lists-target-bulk-selected-{viewport['width']}")
    dialog = _apply_bulk_action(page, "Unlink from dev")
    expect(dialog).to_contain_text("Unlink 2 objects from Deployment 'dev'?")
    expect(dialog).to_contain_text("Connection cache")
    expect(dialog).to_contain_text("Connection lake")
    expect(dialog).to_contain_text("Skipped, not changed:")
    expect(dialog).to_contain_text("Connection dev_only — dev's own object, not a linked Workspace object: delete it instead")
    page_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert page_width[0] <= page_width[1]
    screenshot(page, f"lists-target-bulk-unlink-confirmation-{viewport['width']}")
    submit_dialog(dialog, "Unlink 2 objects", status="Unlinked 2 objects from Deployment 'dev'.")
    expect(row(page, "lake")).to_have_count(0)
    expect(row(page, "cache")).to_have_count(0)
    expect(row(page, "warehouse")).to_be_visible()
    expect(row(page, "dev_only")).to_be_visible()
    assert sorted(Link.objects.filter(deployment=dev).values_list("env_object__key", flat=True)) == ["warehouse"]
    assert EnvObject.objects.filter(key__in=["lake", "cache"]).count() == 2  # the Workspace objects stay


def test_authors_get_no_checkboxes_on_a_deployments_tab(page, author, workspace, dev, dev_rows):
    sign_in(page, author)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/")
    expect(row(page, "lake")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(0)
