"""Migrate from Airflow in Chromium: select two rows, confirm in the dialog, read the summary."""

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from envmanager.airflow_db.sample import create_sample_database
from envmanager.services.workspaces import deployment_update
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_environment_pages import row

pytestmark = pytest.mark.browser
KEY = Fernet.generate_key().decode()


def test_owner_migrates_two_connections_through_the_confirmation_dialog(page, owner, workspace, dev, tmp_path):
    url = f"sqlite:///{tmp_path}/airflow/airflow.db"
    db = create_sample_database(url, fernet_keys=[KEY])
    db.add_connection("warehouse", "postgres", host="db.dev", password="pw")
    db.add_connection("s3_logs", "aws", login="AKIA")
    db.add_connection("keep_me", "http", host="stays.example")
    db.add_connection("bad id!", "http")
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=KEY)
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/")

    page.get_by_role("link", name="Migrate from Airflow").click()
    expect(page.get_by_role("heading", name="Migrate Connections from Airflow")).to_be_visible()
    expect(page.get_by_text("Cannot migrate")).to_be_visible()
    submit = page.get_by_role("button", name="Migrate selected…")
    expect(submit).to_be_disabled()
    page.get_by_label("Migrate warehouse").check()
    page.get_by_label("Migrate s3_logs").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    screenshot(page, "30-migration-plan")
    submit.click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("will be removed from dev's Airflow metadata database")
    screenshot(page, "31-migration-confirm")
    dialog.get_by_role("button", name="Migrate and remove from Airflow").click()

    expect(page.get_by_role("heading", name="Connections migrated from Airflow")).to_be_visible()
    expect(page.get_by_text("Migrated 2, overridden 0, skipped 0, failed 0.")).to_be_visible()
    screenshot(page, "32-migration-summary")
    page.get_by_role("link", name="See dev's Connections").click()
    expect(row(page, "warehouse")).to_contain_text("Workspace object")
    expect(row(page, "s3_logs")).to_contain_text("Workspace object")
    remaining = {r[0] for r in db.conn.execute("SELECT conn_id FROM connection")}
    assert remaining == {"keep_me", "bad id!"}
    db.close()
