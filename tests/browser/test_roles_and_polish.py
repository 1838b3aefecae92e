"""In Chromium (issue #15, parts 1, 3 and 10): each role is told who it is and what it may do; a dialog fits a
phone and scrolls inside; a message shows above an open dialog; a row's ⋯ menu does not cover the next row."""

import pytest
from playwright.sync_api import expect

from envmanager.models import EnvObject
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_environment_pages import row, row_action
from tests.browser.test_responsive import PHONE
from tests.factories import ConnectionFactory, VariableFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def objects(workspace, dev):
    ConnectionFactory(workspace=workspace, key="warehouse", linked_to_all=True,
                      fields={"conn_type": "postgres", "host": "db.internal", "password": "pw"})
    VariableFactory(workspace=workspace, deployment=dev, key="alpha", fields={"value": "1"})
    VariableFactory(workspace=workspace, deployment=dev, key="beta", fields={"value": "2"})


@pytest.mark.parametrize("role", ["owner", "operator", "author", "member"])
def test_the_workspace_header_tells_each_role_who_it_is(page, workspace, dev, objects, role, request):
    sign_in(page, request.getfixturevalue(role))
    page.set_viewport_size(PHONE)
    label = role.capitalize()
    page.goto(f"/workspaces/{workspace.pk}/")
    expect(page.locator("#your-role")).to_have_text(f"You are {label} of {workspace.name}")
    expect(page.locator("#your-role")).to_be_visible()

    environment = f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/"
    if role == "member":
        expect(page.get_by_role("heading", name="What you can do as Member")).to_be_visible()
        page.goto(environment)  # refused: a page that keeps the navigation and says why
        page.console_errors.clear()  # the browser notes the 403
        expect(page.get_by_role("heading", name="You cannot do that here")).to_be_visible()
        expect(page.get_by_text("Your role in Data Platform, Member, does not include this action.")).to_be_visible()
        expect(page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Deployments")).to_be_visible()
        expect(page.locator("#your-role")).to_have_text(f"You are Member of {workspace.name}")
    else:
        page.goto(environment)
        notice = page.get_by_role("note").filter(has_text="Read-only.")
        migrate = page.get_by_role("button", name="Migrate from Airflow")
        if role == "owner":
            expect(notice).to_have_count(0)
            expect(page.locator("#migrate-reason")).not_to_have_text("Owners only")
        else:
            expect(migrate).to_be_disabled()
            expect(page.locator("#migrate-reason")).to_have_text("Owners only")
            expect(notice).to_have_count(1 if role == "author" else 0)
    screenshot(page, f"roles-390-{role}")


def test_a_dialog_fits_a_phone_and_scrolls_inside(page, owner, workspace, dev, objects):
    sign_in(page, owner)
    page.set_viewport_size(PHONE)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/")
    row_action(page, "warehouse", "Override").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Override connection")).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    # Every label is inside the dialog, none cut off at its edges.
    for label in dialog.locator("label").all():
        if label.is_visible():
            inner = label.bounding_box()
            assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5
    scroll_height, client_height = dialog.evaluate("d => [d.scrollHeight, d.clientHeight]")
    assert scroll_height > client_height  # longer than the screen: it scrolls inside
    save = dialog.get_by_role("button", name="Save override")
    save.scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "dialog-390-override")


def test_a_message_shows_above_an_open_dialog(page, owner, workspace, dev, objects):
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    row_action(page, "warehouse", "Edit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Save changes")).to_be_visible()
    EnvObject.objects.filter(key="warehouse").delete()  # someone else deletes it meanwhile
    dialog.get_by_role("button", name="Save changes").click()
    message = page.locator("#messages .message")
    expect(message).to_have_text("That no longer exists; reload the page.")
    page.console_errors.clear()  # the browser notes the 404
    expect(dialog).to_be_visible()
    box = message.bounding_box()
    on_top = page.evaluate(
        "([x, y]) => document.getElementById('messages').contains(document.elementFromPoint(x, y))",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top, "the message is behind the dialog (or inert outside it)"
    screenshot(page, "message-above-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(message).to_be_visible()  # back in the page, where messages live


def test_the_row_menu_does_not_cover_the_next_row(page, owner, workspace, dev, objects):
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/variables/")
    menu = row_action(page, "alpha", "Promote to Workspace Environment")
    expect(menu).to_be_visible()
    next_row = row(page, "beta").bounding_box()
    assert menu.bounding_box()["y"] + menu.bounding_box()["height"] <= next_row["y"]
    expect(row(page, "beta").locator("details.row-menu > summary")).to_be_visible()
    page.keyboard.press("Escape")  # closes the menu, focus back on its ⋯ button
    expect(menu).to_be_hidden()
    expect(row(page, "alpha").locator("details.row-menu > summary")).to_be_focused()
    screenshot(page, "more-menu-open")
