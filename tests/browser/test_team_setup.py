"""A new team set up from the browser alone: Workspace, Deployment, IDE project, an invited member, a role,
and a rename."""

import pytest
from playwright.sync_api import expect

from envmanager.models import Deployment, IdeProject, Membership, Role, Workspace
from tests.browser.conftest import screenshot, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

INVITED_PASSWORD = "erins-own-long-password-2026"


def test_a_platform_engineer_sets_up_a_team_in_the_browser(page, browser, live_server):
    sign_in(page, UserFactory(username="platform", is_staff=True))

    page.get_by_role("link", name="New Workspace").click()
    page.get_by_label("Name").fill("Analytics")
    page.get_by_role("button", name="Create Workspace").click()
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are its Owner.")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Deployments").click()
    page.get_by_role("link", name="New Deployment").click()
    page.get_by_label("Name").fill("prod")
    page.get_by_label("Execution mode").select_option(label="Remote execution")
    page.get_by_role("button", name="Create Deployment").click()
    expect(page.get_by_role("status")).to_contain_text("Created Deployment 'prod'.")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="IDE projects").click()
    page.get_by_role("link", name="New IDE project").click()
    page.get_by_label("Name").fill("notebooks")
    page.get_by_role("button", name="Create IDE project").click()
    expect(page.get_by_role("status")).to_contain_text("Created IDE project 'notebooks'.")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Members").click()
    page.get_by_label("New username").fill("erin")
    page.locator("#id_invite-role").select_option(label="Author")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_label("Set-password link").input_value()
    assert "/invitations/" in link
    screenshot(page, "40-members-invitation-link")

    # Erin opens the link in a browser of her own, signed out.
    erin = browser.new_context(base_url=live_server.url).new_page()
    erin.goto(link)
    expect(erin.get_by_text("Your username is erin")).to_be_visible()
    erin.get_by_label("New password", exact=True).fill(INVITED_PASSWORD)
    erin.get_by_label("New password confirmation").fill(INVITED_PASSWORD)
    erin.get_by_role("button", name="Set password").click()
    expect(erin.get_by_role("status")).to_contain_text("Your password is set, erin.")
    erin.get_by_label("Username").fill("erin")
    erin.get_by_label("Password").fill(INVITED_PASSWORD)
    erin.get_by_role("button", name="Sign in").click()
    expect(erin.get_by_role("link", name="Analytics")).to_be_visible()
    erin.goto(link)
    expect(erin.get_by_role("alert")).to_contain_text("it was used already")
    erin.context.close()

    page.reload()
    page.get_by_label("Role of erin").select_option(label="Operator")
    page.get_by_role("button", name="Change role of erin").click()
    expect(page.get_by_role("status")).to_contain_text("'erin' is now Operator.")
    screenshot(page, "41-members-after-role-change")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Rename Workspace").click()
    page.get_by_label("Name").fill("Analytics EU")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Analytics EU", level=1)).to_be_visible()

    workspace = Workspace.objects.get(name="Analytics EU")
    deployments = Deployment.objects.filter(workspace=workspace).values_list("name", "execution_mode")
    assert list(deployments) == [("prod", "remote_execution")]
    assert list(IdeProject.objects.filter(workspace=workspace).values_list("name", flat=True)) == ["notebooks"]
    assert dict(Membership.objects.filter(workspace=workspace).values_list("user__username", "role")) == {
        "platform": Role.OWNER, "erin": Role.OPERATOR,
    }
