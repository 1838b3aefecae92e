"""Roles are visible (issue #15, part 3): the Workspace header says who you are, Authors are told a page is
read-only, Members are told what they can see, and 403 / 404 pages keep the navigation without telling
anything about Workspaces the user is not a member of."""

import re

import pytest

from tests.factories import DeploymentFactory

from .conftest import ROLES, url

ROLE_LABELS = {"owner": "Owner", "operator": "Operator", "author": "Author", "member": "Member"}
READ_ONLY = "As an Author you can see these objects"
SECTIONS = '<nav class="sections" aria-label="Workspace">'


def _unmasked(html: str) -> str:
    """The page without its CSRF tokens, which Django masks afresh for every response."""
    return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)


def _banner(html: str) -> str:
    match = re.search(r'<p class="role-banner" id="your-role">You are <strong[^>]*>([^<]+)</strong>', html)
    return match.group(1) if match else ""


@pytest.mark.parametrize("role", ROLES)
def test_the_workspace_header_says_the_users_role_on_every_workspace_page(client, workspace, dev, users, role):
    client.force_login(users[role])
    for address in (
        url("workspace-detail", workspace.pk), url("deployment-list", workspace.pk),
        url("deployment-detail", workspace.pk, dev.pk), url("member-list", workspace.pk),
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        assert _banner(response.text) == ROLE_LABELS[role], address


def test_a_superuser_without_a_membership_is_shown_as_owner(client, workspace, owner):
    owner.memberships.all().delete()
    owner.is_superuser = True
    owner.save(update_fields=["is_superuser"])
    client.force_login(owner)
    assert _banner(client.get(url("workspace-detail", workspace.pk)).text) == "Owner"


@pytest.mark.parametrize("role", ["owner", "operator", "author"])
def test_authors_see_a_read_only_notice_on_environment_pages_and_editors_do_not(
    client, workspace, dev, ide, conn, users, role
):
    client.force_login(users[role])
    for address in (
        url("workspace-environment", workspace.pk, "connections"),
        url("deployment-environment", workspace.pk, dev.pk, "connections"),
        url("ide-project-environment", workspace.pk, ide.pk, "connections"),
    ):
        page = client.get(address).text
        assert (READ_ONLY in page) == (role == "author"), address


def test_members_overview_explains_what_they_can_see(client, workspace, member, owner):
    client.force_login(member)
    page = client.get(url("workspace-detail", workspace.pk)).text
    assert "What you can do as Member" in page
    assert "You cannot see environment objects" in page
    client.force_login(owner)
    assert "What you can do as" not in client.get(url("workspace-detail", workspace.pk)).text


def test_a_member_refused_a_page_keeps_the_workspace_navigation_and_is_told_why(client, workspace, member):
    client.force_login(member)
    response = client.get(url("workspace-environment", workspace.pk, "connections"))
    assert response.status_code == 403
    page = response.text
    assert SECTIONS in page and url("deployment-list", workspace.pk) in page
    assert _banner(page) == "Member"
    assert "Your role in Data Platform, Member, does not include this action." in page
    assert "What you can do as Member" in page
    assert 'class="site-header"' in page and "Your Workspaces" in page  # the site's own navigation


def test_an_operator_refused_a_page_is_told_the_role_too(client, workspace, operator):
    client.force_login(operator)
    response = client.get(url("workspace-rename", workspace.pk))
    assert response.status_code == 403
    assert "Your role in Data Platform, Operator, does not include this action." in response.text
    assert "for Owners only" in response.text


def test_a_404_inside_the_users_workspace_keeps_its_navigation(client, workspace, owner):
    client.force_login(owner)
    response = client.get(url("deployment-detail", workspace.pk, 987654))
    assert response.status_code == 404
    assert SECTIONS in response.text and "does not exist in Data Platform" in response.text


def test_another_workspaces_pages_answer_like_pages_that_do_not_exist(client, workspace, other_workspace, outsider):
    secret_deployment = DeploymentFactory(workspace=workspace, name="hidden-prod")
    client.force_login(outsider)
    foreign = client.get(url("deployment-detail", workspace.pk, secret_deployment.pk))
    missing = client.get(url("deployment-detail", 987654, 987654))
    assert foreign.status_code == missing.status_code == 404
    assert _unmasked(foreign.text) == _unmasked(missing.text)
    assert "Data Platform" not in foreign.text and "hidden-prod" not in foreign.text
    assert SECTIONS not in foreign.text and 'class="site-header"' in foreign.text
    assert "Other Team" in foreign.text  # the switcher: the outsider's own Workspace, site navigation kept


def test_an_unknown_address_keeps_the_site_navigation(client, owner):
    client.force_login(owner)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert 'class="site-header"' in response.text and "Data Platform" in response.text
