"""Compare two Deployments and read the Matrix in Chromium: pick, see the buckets, open a cell."""

import pytest
from playwright.sync_api import expect

from envmanager.models import EnvObject
from envmanager.services import links as link_services
from tests.browser.conftest import screenshot, sign_in
from tests.factories import IdeProjectFactory, VariableFactory

pytestmark = pytest.mark.browser

CANARY = "canary-br0wser-77"


@pytest.fixture
def environments(workspace, dev, prod):
    VariableFactory(workspace=workspace, deployment=dev, key="only_dev", fields={"value": "x"})
    VariableFactory(workspace=workspace, deployment=dev, key="api_token", fields={"value": CANARY}, is_secret=True)
    VariableFactory(workspace=workspace, deployment=prod, key="api_token", fields={"value": CANARY + "!"}, is_secret=True)
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    for target in (dev, prod):
        link_services.link_create(env_object=region, actor=None, target=target)
    link_services.link_set_override(env_object=region, actor=None, target=prod, fields={"value": "us"})
    IdeProjectFactory(workspace=workspace, name="notebooks")
    return region


def test_compare_two_deployments_from_the_navigation(page, author, workspace, dev, prod, environments):
    sign_in(page, author)
    page.goto(f"/workspaces/{workspace.pk}/")
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare")).to_be_visible()
    expect(page.get_by_text("Pick a target on each side.")).to_be_visible()

    page.get_by_label("From").select_option(label="dev")
    page.get_by_label("To").select_option(label="prod")
    result = page.locator("#compare-result")
    expect(result.locator("[data-bucket=only-from]")).to_have_count(1)
    expect(result).to_contain_text("1 only in dev")
    expect(result).to_contain_text("2 different")
    expect(result.locator("tr", has_text="api_token")).to_contain_text("Differs: value")
    expect(result.locator("tr", has_text="region")).to_contain_text("Differs: value")
    assert f"from=deployment-{dev.pk}" in page.url and f"to=deployment-{prod.pk}" in page.url
    assert CANARY not in page.content()
    screenshot(page, "40-compare")


def test_matrix_shows_each_cell_and_opens_the_override(page, operator, workspace, dev, prod, environments):
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/")
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Matrix").click()
    page.get_by_role("navigation", name="Object types").get_by_role("link", name="Airflow Variables").click()
    expect(page.get_by_role("list", name="Legend")).to_contain_text("Override")

    region = page.locator("table.matrix tr", has_text="region")
    expect(region.locator("td")).to_have_count(3)  # dev, prod, notebooks
    expect(region.locator("td").nth(0)).to_have_attribute("data-state", "workspace")
    expect(region.locator("td").nth(1)).to_have_attribute("data-state", "override")
    expect(region.locator("td").nth(2)).to_have_attribute("data-state", "not_linked")
    expect(page.locator("table.matrix tr", has_text="only_dev").locator("td").nth(0)).to_have_attribute("data-state", "own")

    page.get_by_label("Filter by key").fill("reg")
    expect(page.locator("table.matrix tbody tr")).to_have_count(1)
    screenshot(page, "41-matrix")
    region.locator("td").nth(1).get_by_role("link").click()
    expect(page).to_have_url(f"{page.url.split('/workspaces/')[0]}/workspaces/{workspace.pk}/deployments/{prod.pk}/objects/{environments.pk}/override/")


def test_compare_pages_through_a_bucket(page, author, workspace, dev, prod, environments):
    EnvObject.objects.bulk_create(
        EnvObject(workspace=workspace, deployment=prod, kind="variable", key=f"prod_only_{n:03d}", data={"value": "1"})
        for n in range(130)
    )
    sign_in(page, author)
    page.goto(f"/workspaces/{workspace.pk}/compare/?from=deployment-{dev.pk}&to=deployment-{prod.pk}")
    result = page.locator("#compare-result")
    expect(result).to_contain_text("130 only in prod")
    expect(result.locator("[data-bucket=only-to]")).to_have_count(100)
    pages = result.get_by_role("navigation", name="Pages of Only in prod")
    expect(pages).to_contain_text("Page 1 of 2")
    pages.get_by_role("link", name="Next →").click()
    expect(pages).to_contain_text("Page 2 of 2")
    expect(result.locator("[data-bucket=only-to]")).to_have_count(30)
    expect(result.locator("tr", has_text="prod_only_129")).to_be_visible()
    expect(result.locator("[data-bucket=only-from]")).to_have_count(1)  # the other buckets stay
    expect(result).to_contain_text("2 different")
    assert "to_page=2" in page.url and f"from=deployment-{dev.pk}" in page.url
    page.set_viewport_size({"width": 390, "height": 844})  # a page of a bucket and its links fit a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "42-compare-page-2-phone")
    page.go_back()
    expect(result.locator("[data-bucket=only-to]")).to_have_count(100)
