"""The migrate page (issue #15 part 8) and Restore to Airflow, in Chromium: the header checkbox, rows sorted by
status then key, non-secret previews, the secret marker, the keys in the confirmation, linked keys in the summary,
then the whole run restored. And the drift card on the Deployment's overview, loaded by htmx."""

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from envmanager.airflow_db.sample import create_sample_database
from envmanager.services import links as link_services
from envmanager.services.workspaces import deployment_update
from tests.browser.conftest import screenshot, sign_in
from tests.factories import VariableFactory

pytestmark = pytest.mark.browser
KEY = Fernet.generate_key().decode()


def _airflow(tmp_path):
    url = f"sqlite:///{tmp_path}/airflow/airflow.db"
    return url, create_sample_database(url, fernet_keys=[KEY])


def test_owner_selects_all_migrates_and_restores_variables(page, owner, workspace, dev, tmp_path):
    url, db = _airflow(tmp_path)
    db.add_variable("zone", "eu-west-1  ")
    db.add_variable("api_token", "xoxb-very-secret")
    db.add_variable("bad key", "x")
    db.add_variable("shared", "dev-value")
    VariableFactory(workspace=workspace, key="shared", fields={"value": "workspace-value"})
    before = db.conn.execute("SELECT * FROM variable ORDER BY id").fetchall()
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=KEY)
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/migrate/variables/")

    keys = page.locator("table.objects tbody th.key").all_inner_texts()
    assert keys == ["api_token", "zone", "shared", "bad key"]  # new, then exists, then cannot; by key
    token_row = page.locator("tbody tr", has_text="api_token")
    expect(token_row).to_contain_text("Will be secret")
    expect(page.locator("tbody tr", has_text="zone")).to_contain_text("eu-west-1")
    expect(page.locator("body")).not_to_contain_text("xoxb-very-secret")
    header = page.get_by_label("Select all rows that can be migrated")
    header.check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.get_by_label("Migrate zone").uncheck()
    assert header.evaluate("box => box.indeterminate")
    header.check()
    screenshot(page, "33-migration-plan-sorted")
    page.get_by_role("button", name="Migrate selected…").click()

    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".selected-keys")).to_have_text("api_token, zone, shared")
    dialog.get_by_role("button", name="Migrate and remove from Airflow").click()

    expect(page.get_by_text("Migrated 2, overridden 1, skipped 0, failed 0.")).to_be_visible()
    page.get_by_role("link", name="zone").click()
    expect(page.locator("body")).to_contain_text("zone")
    page.go_back()
    page.get_by_role("link", name="Restore to Airflow…").click()
    expect(page.locator(".warning-box")).to_contain_text("zone, api_token, shared")
    screenshot(page, "34-migration-restore-confirm")
    page.get_by_role("button", name="Restore to Airflow").click()

    expect(page.get_by_text("Restored 3, restored with envmanager's copy kept 0, skipped 0.").first).to_be_visible()
    assert db.conn.execute("SELECT * FROM variable ORDER BY id").fetchall() == before
    db.close()


def test_the_overview_shows_shadowed_keys_and_candidates(page, owner, workspace, dev, tmp_path):
    url, db = _airflow(tmp_path)
    db.add_variable("shared", "airflow-value")
    db.add_variable("region", "eu")
    db.close()
    shared = VariableFactory(workspace=workspace, key="shared", fields={"value": "envmanager-value"})
    link_services.link_create(env_object=shared, actor=None, target=dev)
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=KEY)
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/")

    card = page.locator("#drift-card")
    expect(card).to_contain_text("1 shadowed in the metastore (0 same, 1 differs)")
    expect(card.locator("li", has_text="shared")).to_contain_text("differs (value)")
    expect(card.locator("li", has_text="region")).to_be_visible()
    expect(card).not_to_contain_text("airflow-value")
