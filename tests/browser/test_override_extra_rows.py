"""The override dialog edits a connection's Extra key by key, in Chromium: a Deployment's linked connection,
one non-sensitive key changed, the sensitive one left write-only and kept; the read API serves the result.
At 390 px the dialog and its Extra rows fit the screen."""

import json

import pytest
from playwright.sync_api import expect

from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_environment_pages import row, row_action
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SECRET = "SK-canary-41d9"


@pytest.fixture
def aws(workspace, dev):
    obj = ConnectionFactory(workspace=workspace, key="aws", fields={
        "conn_type": "aws", "extra": json.dumps({"region_name": "eu-west-1", "aws_secret_access_key": SECRET,
                                                 "timeout": 5, "endpoint_url": "https://s3.eu-west-1.example.com"}),
    })
    link_services.link_create(env_object=obj, actor=None, target=dev)
    return obj


def _open_override(page, workspace, dev):
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/environment/connections/")
    row_action(page, "aws", "Override aws in dev").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Override connection")).to_be_visible()
    return dialog


def test_operator_edits_one_extra_key_for_a_deployment(page, operator, workspace, dev, aws):
    sign_in(page, operator)
    dialog = _open_override(page, workspace, dev)
    expect(dialog.get_by_label("Extra key 1")).to_have_value("region_name")
    expect(dialog.get_by_label("Extra value 1")).to_have_value("eu-west-1")  # the Workspace object's, to edit
    expect(dialog.get_by_label("Extra key 2")).to_have_value("aws_secret_access_key")
    expect(dialog.get_by_label("Extra value 2")).to_have_attribute("type", "password")
    expect(dialog.get_by_label("Extra value 2")).to_have_value("")
    assert SECRET not in page.content()

    # An error keeps what was typed.
    dialog.get_by_label("Extra value 1").fill("us-east-1")
    expect(dialog.get_by_label("Override Extra")).to_be_checked()  # editing a key ticks it
    dialog.get_by_label("Extra key 5").fill("retries")
    dialog.get_by_label("Extra value 5").fill("{3")
    dialog.get_by_label("Extra type 5").select_option("json")
    dialog.get_by_role("button", name="Save override").click()
    expect(dialog.get_by_text("Extra key 'retries': not valid JSON")).to_be_visible()
    expect(dialog.get_by_label("Extra value 1")).to_have_value("us-east-1")
    expect(dialog.get_by_label("Extra value 5")).to_have_value("{3")
    assert SECRET not in page.content()

    dialog.get_by_label("Extra value 5").fill("3")
    screenshot(page, "override-extra-keys-editing")
    dialog.get_by_role("button", name="Save override").click()
    expect(dialog).to_be_hidden()
    expect(row(page, "aws")).to_contain_text("Workspace + override")

    issued = token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    response = page.request.get("/api/v1/connections/aws", headers={"Authorization": f"Bearer {issued.plain}"})
    assert response.status == 200
    assert list(json.loads(response.json()["fields"]["extra"]["value"]).items()) == [
        ("region_name", "us-east-1"), ("aws_secret_access_key", SECRET), ("timeout", 5),
        ("endpoint_url", "https://s3.eu-west-1.example.com"), ("retries", 3),
    ]

    # Opened again, the rows are the override's.
    row_action(page, "aws", "Edit override aws in dev").click()
    expect(dialog.get_by_label("Extra value 1")).to_have_value("us-east-1")
    expect(dialog.get_by_label("Override Extra")).to_be_checked()


def test_emptying_a_key_removes_it_for_the_deployment_only(page, operator, workspace, dev, aws):
    sign_in(page, operator)
    dialog = _open_override(page, workspace, dev)
    expect(dialog.get_by_label("Extra key 4")).to_have_value("endpoint_url")
    dialog.get_by_label("Extra key 4").fill("")
    dialog.get_by_label("Extra value 4").fill("")
    expect(dialog.get_by_label("Override Extra")).to_be_checked()  # emptying a key is a change too
    dialog.get_by_role("button", name="Save override").click()
    expect(dialog).to_be_hidden()
    link = aws.links.get(deployment=dev)
    assert json.loads(link.reveal_override("extra")) == {
        "region_name": "eu-west-1", "aws_secret_access_key": SECRET, "timeout": 5,
    }
    aws.refresh_from_db()
    assert "endpoint_url" in json.loads(aws.reveal("extra"))  # the Workspace object keeps it


def test_the_override_dialog_with_extra_rows_fits_a_phone(page, operator, workspace, dev, aws):
    sign_in(page, operator)
    page.set_viewport_size(PHONE)
    dialog = _open_override(page, workspace, dev)
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    scroll_width, client_width = dialog.evaluate("d => [d.scrollWidth, d.clientWidth]")
    assert scroll_width <= client_width  # nothing scrolls sideways inside the dialog
    rows = dialog.locator(".extra-rows")
    rows.scroll_into_view_if_needed()
    for control in rows.locator("input:not([type=hidden]), select").all():
        inner = control.bounding_box()
        assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5
    assert page.evaluate("[document.documentElement.scrollWidth, innerWidth]") == [PHONE["width"]] * 2
    screenshot(page, "dialog-390-override-extra-keys")
