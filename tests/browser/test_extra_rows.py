"""A connection's Extra key by key in Chromium: plain keys shown and edited, sensitive ones write-only."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_environment_pages import row_action
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.browser


def test_operator_edits_one_extra_key_and_adds_another(page, operator, workspace):
    aws = ConnectionFactory(workspace=workspace, key="aws", fields={
        "conn_type": "aws", "extra": '{"region_name": "eu-west-1", "aws_secret_access_key": "SK-canary"}',
    })
    sign_in(page, operator)
    page.goto(f"/workspaces/{workspace.pk}/environment/connections/")
    row_action(page, "aws", "Edit aws").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Extra key 1")).to_have_value("region_name")
    expect(dialog.get_by_label("Extra value 1")).to_have_value("eu-west-1")
    expect(dialog.get_by_label("Extra key 2")).to_have_value("aws_secret_access_key")
    expect(dialog.get_by_label("Extra value 2")).to_have_attribute("type", "password")
    expect(dialog.get_by_label("Extra value 2")).to_have_value("")
    assert "SK-canary" not in dialog.inner_html()
    dialog.get_by_label("Extra value 1").fill("us-east-1")
    dialog.get_by_label("Extra key 3").fill("retries")
    dialog.get_by_label("Extra value 3").fill("3")
    dialog.get_by_label("Extra type 3").select_option("json")
    dialog.get_by_role("button", name="Add a key").click()
    dialog.get_by_label("Extra key 4").fill("note")
    dialog.get_by_label("Extra value 4").fill(" kept  as typed ")
    screenshot(page, "extra-keys-editing")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    aws.refresh_from_db()
    assert list(json.loads(aws.reveal("extra")).items()) == [
        ("region_name", "us-east-1"), ("aws_secret_access_key", "SK-canary"), ("retries", 3), ("note", " kept  as typed "),
    ]
