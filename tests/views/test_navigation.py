"""Signing in and out, the Workspace switcher, and the links between pages."""

import pytest

from tests.views.conftest import sign_in, url


@pytest.fixture
def password_user(owner):
    owner.set_password("correct horse battery")
    owner.save()
    return owner


def test_sign_in_with_the_right_password_opens_the_workspaces(client, password_user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'name="password"' in page.content

    response = client.post(
        "/accounts/login/", {"username": "owner", "password": "correct horse battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Your Workspaces" in response.content
    assert b"Data Platform" in response.content


def test_sign_in_with_a_wrong_password_says_so_and_stays_signed_out(client, password_user):
    response = client.post("/accounts/login/", {"username": "owner", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert client.get("/").status_code == 302


def test_sign_out_ends_the_session(client, owner):
    sign_in(client, owner)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_home_and_switcher_list_only_the_users_workspaces(client, owner, workspace, other_workspace, outsider):
    sign_in(client, owner)
    home = client.get("/").content.decode()
    assert "Data Platform" in home
    assert "Other Team" not in home
    page = client.get(url("workspace-environment-home", workspace.pk)).content.decode()
    switcher = page.split('<details class="switcher">', 1)[1].split("</details>", 1)[0]
    assert url("workspace-detail", workspace.pk) in switcher
    assert "Other Team" not in switcher


def test_workspace_overview_links_to_its_sections_by_role(client, owner, member, workspace):
    sign_in(client, owner)
    page = client.get(url("workspace-detail", workspace.pk)).content.decode()
    for target in ("workspace-environment-home", "deployment-list", "ide-project-list", "audit-list"):
        assert url(target, workspace.pk) in page

    sign_in(client, member)
    page = client.get(url("workspace-detail", workspace.pk)).content.decode()
    assert url("deployment-list", workspace.pk) in page
    assert url("workspace-environment-home", workspace.pk) not in page
    assert url("audit-list", workspace.pk) not in page
    assert "You cannot see environment objects" in page


def test_deployment_pages_lead_to_the_environment_tab_and_include_the_delivery_panel(
    client, operator, member, workspace, dev
):
    sign_in(client, operator)
    listing = client.get(url("deployment-list", workspace.pk)).content.decode()
    assert url("deployment-detail", workspace.pk, dev.pk) in listing
    response = client.get(url("deployment-detail", workspace.pk, dev.pk))
    assert "envmanager/delivery/_target_panel.html" in [t.name for t in response.templates]
    assert response.context["deployment"] == dev and response.context["access"].can_view_env_objects
    assert url("deployment-environment-home", workspace.pk, dev.pk) in response.content.decode()

    sign_in(client, member)
    page = client.get(url("deployment-detail", workspace.pk, dev.pk)).content.decode()
    assert url("deployment-environment-home", workspace.pk, dev.pk) not in page


def test_ide_project_pages_lead_to_their_environment_and_include_the_delivery_panel(client, author, workspace, ide):
    sign_in(client, author)
    listing = client.get(url("ide-project-list", workspace.pk)).content.decode()
    assert url("ide-project-detail", workspace.pk, ide.pk) in listing
    response = client.get(url("ide-project-detail", workspace.pk, ide.pk))
    assert "envmanager/delivery/_target_panel.html" in [t.name for t in response.templates]
    assert response.context["ide_project"] == ide
    assert url("ide-project-environment-home", workspace.pk, ide.pk) in response.content.decode()


def test_pages_load_htmx_and_css_from_the_site_and_send_csrf_with_htmx(client, owner, workspace):
    sign_in(client, owner)
    page = client.get(url("workspace-environment-home", workspace.pk)).content.decode()
    assert '<script src="/static/vendor/htmx.min.js"' in page
    assert '/static/css/envmanager.css' in page
    assert "hx-headers='{\"X-CSRFToken\": \"" in page
    assert "<script>" not in page and " onclick=" not in page  # no inline scripts or handlers (CSP)
    assert "https://" not in page.split("<main", 1)[0]  # nothing from a CDN


def test_the_favicon_is_served_at_the_sites_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
