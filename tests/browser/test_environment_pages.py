"""The Environment pages in Chromium: the main flows, their dialogs, roles, and filtering without reloads."""

import re

import pytest
from playwright.sync_api import expect

from envmanager.models import EnvObject
from envmanager.selectors.environment import effective_entry
from envmanager.services import links as link_services
from tests.browser.conftest import screenshot, sign_in, submit_dialog
from tests.factories import ConnectionFactory, IdeProjectFactory, MetricsExportFactory, VariableFactory

pytestmark = pytest.mark.browser


def open_workspace_environment(page, workspace_name="Data Platform"):
    page.get_by_role("link", name=workspace_name).first.click()
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Environment").click()
    expect(page.get_by_role("heading", name="Environment", exact=True)).to_be_visible()


def row(page, key):
    return page.locator("tr", has=page.locator("th code", has_text=re.compile(f"^{re.escape(key)}$")))


def row_action(page, key, name, role="link"):
    """Open the ⋯ menu of `key`'s row and return its action `name`."""
    table_row = row(page, key)
    table_row.locator("details.row-menu > summary").click()
    return table_row.get_by_role(role, name=name)


def test_operator_creates_links_and_overrides_a_connection(page, operator, workspace, dev, prod):
    IdeProjectFactory(workspace=workspace, name="notebooks")
    sign_in(page, operator)
    screenshot(page, "01-home")
    page.get_by_role("link", name="Data Platform").first.click()
    expect(page.get_by_role("heading", name="Data Platform")).to_be_visible()
    screenshot(page, "02-workspace-overview")
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Environment").click()
    expect(page.get_by_text("No connections in this Workspace yet.")).to_be_visible()
    screenshot(page, "03-environment-empty")

    # Create
    page.get_by_role("link", name="New connection").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Connection ID")).to_be_focused()
    dialog.get_by_label("Connection ID").fill("warehouse")
    dialog.get_by_label("Connection type").fill("postgres")
    dialog.get_by_label("Host").fill("db.example.com")
    dialog.get_by_label("Port").fill("5432")
    dialog.get_by_label("Password").fill("workspace-password")
    dialog.get_by_label("Extra", exact=True).fill('{"sslmode": "require"}')
    screenshot(page, "04-create-connection-dialog")
    submit_dialog(dialog, "Create connection", status="Created connection 'warehouse'.")
    expect(row(page, "warehouse")).to_contain_text("db.example.com")
    expect(row(page, "warehouse")).to_contain_text("Not linked")

    # Link to dev and prod
    row_action(page, "warehouse", "Links of warehouse").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("dev", exact=True).check()
    dialog.get_by_label("prod", exact=True).check()
    dialog.get_by_label("notebooks", exact=True).check()
    screenshot(page, "05-links-dialog")
    dialog.get_by_role("button", name="Save links").click()
    expect(dialog).to_contain_text("Saved the links")  # the dialog stays open on what was saved
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "warehouse")).to_contain_text("dev")
    expect(row(page, "warehouse")).to_contain_text("prod")
    screenshot(page, "06-environment-connections")

    # Override the password in dev
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Deployments").click()
    page.get_by_role("link", name="dev", exact=True).click()
    screenshot(page, "07-deployment-overview")
    page.get_by_role("navigation", name="Deployment").get_by_role("link", name="Environment").click()
    expect(row(page, "warehouse")).to_contain_text("Workspace object")
    row_action(page, "warehouse", "Override warehouse in dev").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("db.example.com")).to_be_visible()  # the Workspace value beside the field
    dialog.get_by_label("Password", exact=True).fill("dev-password")
    expect(dialog.get_by_label("Override Password")).to_be_checked()  # typing ticks it
    screenshot(page, "08-override-dialog")
    dialog.get_by_role("button", name="Save override").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "warehouse")).to_contain_text("Workspace + override")
    expect(row_action(page, "warehouse", "Edit override warehouse in dev")).to_be_visible()
    screenshot(page, "09-deployment-environment-override")

    # prod keeps the Workspace value
    page.goto(page.url.replace(f"/deployments/{dev.pk}/", f"/deployments/{prod.pk}/"))
    expect(row(page, "warehouse")).to_contain_text("Workspace object")
    expect(row(page, "warehouse")).not_to_contain_text("override")

    assert effective_entry(deployment=dev, kind="connection", key="warehouse").reveal()["password"] == "dev-password"
    assert effective_entry(deployment=prod, kind="connection", key="warehouse").reveal()["password"] == (
        "workspace-password"
    )
    assert "workspace-password" not in page.content() and "dev-password" not in page.content()

    # The IDE project receives the Workspace value.
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="IDE projects").click()
    page.get_by_role("link", name="notebooks", exact=True).click()
    page.get_by_role("navigation", name="IDE project").get_by_role("link", name="Environment").click()
    expect(row(page, "warehouse")).to_contain_text("Workspace object")
    expect(row(page, "warehouse")).to_contain_text("db.example.com")
    screenshot(page, "10-ide-project-environment")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="Override set", exact=True)).to_have_count(1)  # dev's
    screenshot(page, "11-audit-log")


def test_delete_goes_through_the_confirmation_dialog(page, operator, workspace, dev, prod):
    doomed = VariableFactory(workspace=workspace, key="doomed", fields={"value": "bye"})
    link_services.link_create(env_object=doomed, actor=None, target=dev)
    link_services.link_create(env_object=doomed, actor=None, target=prod)
    VariableFactory(workspace=workspace, key="kept")
    sign_in(page, operator)
    open_workspace_environment(page)
    page.get_by_role("navigation", name="Object types").get_by_role("link", name="Airflow Variables").click()

    row_action(page, "doomed", "Delete doomed").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Used by 2 Deployments")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "12-delete-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert EnvObject.objects.filter(key="doomed").exists()

    row_action(page, "doomed", "Delete doomed").click()
    dialog.get_by_role("button", name="Delete doomed").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "doomed")).to_have_count(0)
    expect(row(page, "kept")).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("Deleted Airflow variable 'doomed'.")
    assert not EnvObject.objects.filter(key="doomed").exists()


def test_dialogs_work_with_the_keyboard(page, operator, workspace):
    MetricsExportFactory(workspace=workspace, key="prom")
    sign_in(page, operator)
    open_workspace_environment(page)
    page.get_by_role("navigation", name="Object types").get_by_role("link", name="Metrics Exports").click()
    page.get_by_role("link", name="New metrics export").first.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label(re.compile(r"^Name"))).to_be_focused()
    # Only the credentials the auth type needs are shown.
    expect(dialog.get_by_label("Username")).to_be_hidden()
    dialog.get_by_label("Auth type").select_option("basic")
    expect(dialog.get_by_label("Username")).to_be_visible()
    expect(dialog.get_by_label("Password or token")).to_be_visible()
    dialog.get_by_label("Auth type").select_option("bearer")
    expect(dialog.get_by_label("Username")).to_be_hidden()
    dialog.get_by_role("button", name="Add a row").first.click()
    expect(dialog.get_by_label("Header 3")).to_be_focused()
    screenshot(page, "13-metrics-export-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_author_sees_no_edit_buttons_and_no_secret_values(page, author, workspace, dev):
    conn = ConnectionFactory(workspace=workspace, key="warehouse", fields={
        "conn_type": "postgres", "host": "db", "password": "author-must-not-see",
    })
    link_services.link_create(env_object=conn, actor=None, target=dev)
    VariableFactory(workspace=workspace, key="api_token", is_secret=True, fields={"value": "author-must-not-see"})
    page.goto("/accounts/login/")
    screenshot(page, "00-sign-in")
    sign_in(page, author)
    open_workspace_environment(page)
    expect(row(page, "warehouse")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^(New|Edit|Delete|Links)"), include_hidden=True)).to_have_count(0)
    page.get_by_role("navigation", name="Object types").get_by_role("link", name="Airflow Variables").click()
    expect(row(page, "api_token")).to_contain_text("•••")
    screenshot(page, "14-author-variables")
    assert "author-must-not-see" not in page.content()

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Deployments").click()
    page.get_by_role("link", name="Environment of dev").click()
    expect(row(page, "warehouse")).to_contain_text("Workspace object")
    expect(page.get_by_role("link", name=re.compile("^(Override|Edit|Delete|New)"), include_hidden=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Unlink|Exclude)"), include_hidden=True)).to_have_count(0)
    assert "author-must-not-see" not in page.content()
    expect(page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Audit log")).to_have_count(0)

    # The server refuses what the page does not offer.
    response = page.goto(f"/workspaces/{workspace.pk}/objects/{conn.pk}/edit/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot do that here")).to_be_visible()
    page.console_errors.remove("Failed to load resource: the server responded with a status of 403 (Forbidden)")


def test_filtering_two_hundred_objects_narrows_the_list_without_a_reload(page, author, workspace):
    for n in range(200):
        ConnectionFactory(workspace=workspace, key=f"conn_{n:03d}")
    sign_in(page, author)
    open_workspace_environment(page)
    rows = page.locator("table.objects tbody tr")
    expect(rows).to_have_count(50)
    expect(page.get_by_text("200 objects")).to_be_visible()
    page.evaluate("window.__stillHere = true")

    page.get_by_label("Filter by key").press_sequentially("conn_01")
    expect(rows).to_have_count(10)
    expect(page.get_by_text("10 objects match “conn_01”")).to_be_visible()
    expect(row(page, "conn_019")).to_be_visible()
    assert page.evaluate("window.__stillHere") is True  # no full page load happened
    expect(page).to_have_url(re.compile(r"\?q=conn_01"))
    screenshot(page, "15-filtered-list")

    page.get_by_label("Filter by key").fill("conn_1999")
    expect(page.get_by_text("No connections match “conn_1999”.")).to_be_visible()
    page.get_by_role("link", name="Clear the filter").click()
    expect(rows).to_have_count(50)
    expect(page.get_by_label("Filter by key")).to_have_value("")
    assert page.evaluate("window.__stillHere") is True

    # Back returns to the filtered URL, loaded whole from the server.
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=conn_1999"))
    expect(page.get_by_text("No connections match “conn_1999”.")).to_be_visible()
    expect(page.get_by_label("Filter by key")).to_have_value("conn_1999")
    page.go_forward()
    expect(rows).to_have_count(50)

    # Paging works the same way, and a reload of the URL shows the same page.
    page.get_by_role("link", name="Next →").click()
    expect(row(page, "conn_050")).to_be_visible()
    page.reload()
    expect(row(page, "conn_050")).to_be_visible()
    expect(page.get_by_text("Page 2 of 4")).to_be_visible()


def test_link_to_all_deployments_and_exclude_one_in_the_dialog(page, operator, workspace, dev, prod):
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"})
    link_services.link_create(env_object=region, actor=None, target=dev)
    link_services.link_set_override(env_object=region, actor=None, target=dev, fields={"value": "eu-dev"})
    sign_in(page, operator)
    open_workspace_environment(page)
    page.get_by_role("navigation", name="Object types").get_by_role("link", name="Airflow Variables").click()
    row_action(page, "region", "Links of region").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Exclusions")).to_be_hidden()
    dialog.get_by_label("All Deployments, present and future").check()
    expect(dialog.get_by_text("Choose Deployments")).to_be_hidden()  # the checkboxes do not apply
    # The exclusions show at once, before saving; one Save applies the mode and the exclusion together.
    dialog.get_by_label("Exclude prod").check()
    dialog.get_by_role("button", name="Save links").click()
    expect(dialog).to_contain_text("Saved the links")
    expect(dialog.get_by_label("Exclude prod")).to_be_checked()
    expect(dialog.locator("li", has_text="Exclude prod")).to_contain_text("excluded")
    expect(row(page, "region")).to_contain_text("All Deployments")  # the table behind it follows
    expect(row(page, "region")).to_contain_text("except prod")
    screenshot(page, "16-links-dialog-all-deployments")
    assert effective_entry(deployment=prod, kind="variable", key="region") is None

    # dev overrides it: excluding dev asks first, naming what is dropped.
    dialog.get_by_label("Exclude dev").check()
    dialog.get_by_role("button", name="Save links").click()
    expect(dialog).to_contain_text("Drop the overrides?")
    expect(dialog).to_contain_text("dev: Value")
    screenshot(page, "16b-links-dialog-exclude-with-override")
    assert effective_entry(deployment=dev, kind="variable", key="region") is not None
    dialog.get_by_role("button", name="Drop the overrides and save").click()
    expect(dialog).to_contain_text("Saved the links")
    expect(row(page, "region")).to_contain_text("except dev, prod")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert effective_entry(deployment=dev, kind="variable", key="region") is None

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="IDE projects").click()
    expect(page.get_by_text("No IDE projects yet.")).to_be_visible()


def test_link_an_existing_workspace_object_from_a_deployment_tab(page, operator, workspace, dev):
    VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"})
    VariableFactory(workspace=workspace, key="retries", fields={"value": "3"})
    VariableFactory(workspace=workspace, key="owner_team", fields={"value": "data"})
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/variables/")
    page.get_by_role("link", name="Link existing…").click()
    dialog = page.get_by_role("dialog")
    search = dialog.get_by_label("Search keys")
    expect(search).to_be_focused()
    search.press_sequentially("re")  # keyboard only: type, Tab to the results, Space to tick
    expect(dialog.get_by_text("owner_team")).to_be_hidden()
    search.press("Enter")  # filters, never submits
    expect(dialog).to_be_visible()
    search.press("Tab")
    page.keyboard.press("Space")
    expect(dialog.get_by_label("region")).to_be_checked()
    dialog.get_by_label("retries").check()
    screenshot(page, "17-link-existing-picker")
    submit_dialog(dialog, "Link", status="Linked Airflow variable 'region', 'retries' to Deployment 'dev'.")
    expect(row(page, "region")).to_be_visible()
    expect(row(page, "retries")).to_be_visible()
    expect(row(page, "owner_team")).to_have_count(0)

    # On a phone the picker fits the screen, as a page and as a dialog.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Link existing…").click()
    expect(dialog.get_by_label("owner_team")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "17-link-existing-picker-390")
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/variables/link-existing/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

