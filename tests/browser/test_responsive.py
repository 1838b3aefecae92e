"""Every page fits a phone (issue #15, part 1): at 390×844 and on a desktop, signed in as an Owner, no page
scrolls sideways (`scrollWidth <= innerWidth`), and a screenshot of each is kept in test-output/screenshots/.

The list of pages is the URL conf itself (tests/routes.py), so a page added later is crawled too; each
route gets an object of its kind from `site`. Routes that are not pages say why below.
"""

import pytest
from playwright.sync_api import expect

from envmanager.airflow_db.sample import create_sample_database
from envmanager.models import IdeProject
from envmanager.services import invitations as invitation_services
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from envmanager.services.workspaces import deployment_update
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import AIRFLOW_DB_FERNET_KEY
from tests.factories import (
    ConnectionFactory,
    VariableFactory,
)
from tests.routes import concrete_path, objects_for_every_route, url_patterns

pytestmark = [pytest.mark.browser, pytest.mark.layout]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1360, "height": 900}

# Routes that are not pages to look at, by URL name.
NOT_PAGES = {
    "logout": "POST only",
    "member-add": "POST only", "member-invite": "POST only", "member-role": "POST only",
    "env-object-exclude": "POST only", "env-object-include": "POST only",
    "personal-token-revoke": "POST only", "deployment-metadata-db-test": "POST only, a fragment of the settings",
    "audit-export": "a download",
    "deleted-restore": "POST only (the Recently deleted page is crawled)",
    "workspace-bulk": "a confirmation of ticked rows (a query string); tests/browser/test_environment_lists.py",
    "deployment-bulk": "a confirmation of ticked rows (a query string); tests/browser/test_environment_lists.py",
    "ide-project-bulk": "a confirmation of ticked rows (a query string); tests/views/test_target_bulk_actions.py",
    "migration-action": "a fragment the migrate page loads into itself",
    "sso-start": "needs an identity provider", "sso-callback": "needs an identity provider",
}


def _pages(ids: dict, values: dict, ids_by_name: dict) -> list[tuple[str, str]]:
    """(URL name, path) of every page; `ids_by_name` gives a route the ids only it needs."""
    pages = []
    for route, entry in url_patterns():
        if route.startswith(("admin/", "api/")) or entry.name in NOT_PAGES:
            continue
        path = concrete_path(route, {**ids, **ids_by_name.get(entry.name, {})}, values=values)
        assert path is not None, f"{route}: give it an id or a value in the crawl"
        pages.append((entry.name, path))
    return pages


@pytest.fixture
def site(workspace, dev, prod, owner, member, settings):
    """Something of everything, with long keys and values, so every page has rows, forms and ids."""
    settings.ENVMANAGER_ALLOW_WORKSPACE_CREATE = True  # the New Workspace page
    url = f"sqlite:///{settings.VAR_DIR}/airflow/airflow.db"  # dev's Airflow database: rows for the migrate page
    db = create_sample_database(url, fernet_keys=[AIRFLOW_DB_FERNET_KEY])
    db.add_connection("airflow_side_connection_with_quite_a_long_connection_id", "postgres", host="db", password="x")
    db.add_connection("bad key", "http")
    db.close()
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=AIRFLOW_DB_FERNET_KEY)
    conn = ConnectionFactory(
        workspace=workspace, key="warehouse_primary_analytics_connection_with_a_long_id", linked_to_all=True,
        fields={"conn_type": "postgres", "host": "warehouse-primary.analytics.internal.example.com", "password": "pw",
                "extra": {"sslmode": "require", "application_name": "envmanager-airflow-deployment"}},
    )
    link_services.link_set_override(env_object=conn, actor=owner, target=dev, fields={"host": "db-dev.internal"})
    own = VariableFactory(workspace=workspace, deployment=dev, key="a_rather_long_variable_key_name_that_wraps",
                          fields={"value": "https://example.com/" + "x" * 120})
    ids, _token = objects_for_every_route(workspace, dev, conn, actor=owner)
    _membership, invitation = invitation_services.member_invite(
        workspace=workspace, username="invited", role="author", actor=owner
    )
    ids["user_id"] = member.pk
    notebooks = IdeProject.objects.get(pk=ids["ide_project_id"])
    # Override history to revert on both targets (the revert pages, version number 1).
    link_services.link_set_override(env_object=conn, actor=owner, target=notebooks, fields={"host": "db-ide.internal"})
    ide_token = token_services.api_token_create(actor=owner, name="notebook", target=notebooks)
    return _pages(ids, {"token": invitation, "number": "1"}, {
        "env-object-promote": {"object_id": own.pk}, "ide-project-token-revoke": {"token_id": ide_token.api_token.pk},
    })


def _fits(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


# The elements that reach past the right edge and have no child that does: what to fix, named in the failure.
OVERFLOWING = """() => {
  const past = [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > innerWidth + 0.5);
  return past.filter(e => !past.some(o => o !== e && e.contains(o))).slice(0, 4)
    .map(e => e.tagName.toLowerCase()
      + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : ""));
}"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-390", "desktop-1360"])
def test_every_page_fits_the_screen_without_sideways_scrolling(page, owner, site, viewport):
    sign_in(page, owner)
    page.set_viewport_size(viewport)
    too_wide, refused = {}, {}
    for name, path in site:
        response = page.goto(path)
        if response.status != 200:
            refused[name] = f"{path} answered {response.status}"
        page.wait_for_load_state("networkidle")  # what a page loads after itself (the migrate button's state)
        if path.startswith("/workspaces/") and name != "workspace-create":  # the Workspace header, role said
            banner = page.locator("#your-role").inner_text() if page.locator("#your-role").count() else ""
            if not banner.startswith("You are Owner"):
                refused[name] = f"{path}: the Workspace header says {banner!r}"
        scroll_width, inner_width = _fits(page)
        if scroll_width > inner_width:
            too_wide[name] = f"{path}: {scroll_width} px wide in {inner_width}: {page.evaluate(OVERFLOWING)}"
        screenshot(page, f"pages-{viewport['width']}-{name}")
    assert not refused and not too_wide, "\n".join(f"{name}: {why}" for name, why in {**refused, **too_wide}.items())
    assert len(site) >= 35  # the URL conf's pages, not a few of them


def test_the_sign_in_page_fits_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert _fits(page)[0] <= PHONE["width"]
    screenshot(page, "pages-390-login-signed-out")
    context.close()
