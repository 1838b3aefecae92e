"""The account menu's API tokens page in Chromium: create (shown once, copyable), revoke after confirming."""

import pytest
from playwright.sync_api import expect

from envmanager.models import PersonalAccessToken
from envmanager.services import personal_tokens as pat_services
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_then_revoke_a_personal_access_token(page, owner, workspace):
    sign_in(page, owner)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="Your API tokens")).to_be_visible()
    expect(page.get_by_text("No personal access tokens yet.")).to_be_visible()

    page.get_by_label("Name").fill("ci-pipeline")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    token_field = page.get_by_label("New personal access token")
    expect(token_field).to_have_value(pat_services.PAT_SHAPE)
    plain = token_field.input_value()
    assert pat_services.personal_token_authenticate(plain=plain) is not None
    screenshot(page, "personal access token created")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke personal access token ci-pipeline").click()
    expect(page.get_by_role("button", name="Revoke personal access token ci-pipeline")).to_be_visible()
    assert PersonalAccessToken.objects.get().revoked_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke personal access token ci-pipeline").click()
    expect(page.get_by_text("revoked")).to_be_visible()
    assert pat_services.personal_token_authenticate(plain=plain) is None
    expect(page.get_by_label("New personal access token")).to_have_count(0)
