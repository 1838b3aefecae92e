"""Single sign-on end to end: a real OpenID Connect provider (npm oidc-provider), driven through Chromium."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import SSOIdentity
from envmanager.models import AuditEntry, Membership, Role
from tests.accounts.oidc_provider import ROLE_CLAIM, free_port, running_provider, sso_configure
from tests.factories import WorkspaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_SECRET = "sso-client-secret-MARKER-7f3a"
ALICE = {
    "email": "alice@example.com",
    "email_verified": True,
    "preferred_username": "alice",
    ROLE_CLAIM: ["envmanager:Data Platform:operator", "some-other-group"],
}


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    with running_provider(
        redirect_uri=f"{live_server.url}/accounts/sso/callback/", accounts={"alice-subject": ALICE},
        extra_claims=[ROLE_CLAIM], client_id="envmanager-browser-tests", client_secret=CLIENT_SECRET,
    ) as provider:
        yield provider


@pytest.fixture
def sso(settings, oidc_provider, page):
    sso_configure(settings, oidc_provider)
    # The provider's development pages load a web font; there is no internet here.
    page.context.route("https://fonts.googleapis.com/**", lambda route: route.fulfill(content_type="text/css", body=""))
    return oidc_provider


def sign_in_at_provider(page, login="alice-subject"):
    page.get_by_placeholder("Enter any login").fill(login)
    page.get_by_placeholder("and password").fill("any password: the development provider checks none")
    page.get_by_role("button", name="Sign-in").click()


def assert_secret_absent(page):
    assert CLIENT_SECRET not in page.content()


def test_sso_sign_in_lands_as_the_right_user_with_the_mapped_role(page, sso):
    workspace = WorkspaceFactory(name="Data Platform")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with SSO").click()
    sign_in_at_provider(page)
    page.get_by_role("button", name="Continue").click()  # the provider's consent
    expect(page.get_by_role("heading", name="Your Workspaces")).to_be_visible()
    expect(page.locator(".user-name")).to_have_text("alice")
    expect(page.get_by_role("link", name="Data Platform")).to_be_visible()
    assert_secret_absent(page)

    user = get_user_model().objects.get(username="alice")
    assert user.email == "alice@example.com" and not user.has_usable_password()
    assert SSOIdentity.objects.get(user=user).subject == "alice-subject"
    assert Membership.objects.get(user=user).role == Role.OPERATOR
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBERSHIP_SET, target_id=user.pk)
    assert (entry.workspace_id, entry.actor_id) == (workspace.pk, None)


def test_password_login_off_leaves_only_sso(page, sso, settings):
    settings.ENVMANAGER_PASSWORD_LOGIN = False
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name="Sign in with SSO")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    page.get_by_role("link", name="Sign in with SSO").click()
    sign_in_at_provider(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".user-name")).to_have_text("alice")


def test_a_return_to_another_browser_is_a_state_mismatch_and_creates_nobody(page, sso):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with SSO").click()
    sign_in_at_provider(page)
    # envmanager's session (and with it the state) is gone: the code comes back to a browser that never asked.
    page.context.clear_cookies(domain="localhost")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("state mismatch")
    page.console_errors.clear()  # the browser notes the 400
    assert not get_user_model().objects.exists()
    assert not SSOIdentity.objects.exists()


def test_cancelling_at_the_provider_is_a_clear_page_and_creates_nobody(page, sso):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with SSO").click()
    page.get_by_role("link", name="[ Cancel ]").click()
    expect(page.get_by_role("heading", name="Single sign-on failed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("cancelled at the identity provider (access denied)")
    page.console_errors.clear()
    assert not get_user_model().objects.exists()


def test_an_unreachable_issuer_is_a_clear_message(page, sso, settings):
    settings.ENVMANAGER_OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with SSO").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Single sign-on is unavailable: The identity provider could not be reached at {settings.ENVMANAGER_OIDC_ISSUER}"
        "/.well-known/openid-configuration."
    )
    page.console_errors.clear()
    assert not get_user_model().objects.exists()
