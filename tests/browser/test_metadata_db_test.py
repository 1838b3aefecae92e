"""Deployment settings in Chromium: *Test connection* answers in place, without saving."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_owner_tests_the_stored_and_a_typed_url(page, owner, workspace, dev, airflow_db):
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/settings/")
    page.get_by_role("button", name="Test connection").click()
    answer = page.locator("#metadata-db-test")
    expect(answer).to_contain_text("Connected: Airflow 3.x (SQLite")
    expect(answer).to_contain_text("2 connections, 2 variables.")
    screenshot(page, "deployment-settings-test-connection")
    page.get_by_label("Airflow metadata database URL").fill("sqlite:////etc/passwd")
    page.get_by_role("button", name="Test connection").click()
    expect(answer).to_contain_text("not allowed")
    dev.refresh_from_db()
    assert dev.has_metadata_db_url  # the stored URL is untouched
