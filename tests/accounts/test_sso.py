"""Single sign-on without a browser: the start of the flow, discovery, failed returns, password login off,
and how the provider's claims find a user. The end-to-end flow runs in tests/browser/test_sso.py."""

import base64
import hashlib
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from accounts.checks import sso_settings_check
from accounts.models import SSOIdentity
from accounts.sso import SignInRefused, user_for_claims
from accounts.sso_provider import provider_configuration
from envmanager.logs import SecretSafeExceptionReporterFilter
from tests.accounts.oidc_provider import free_port, running_provider, sso_configure
from tests.factories import UserFactory

CLIENT_SECRET = "sso-client-secret-MARKER-91c2"
CALLBACK = "http://testserver/accounts/sso/callback/"
ISSUER = "https://idp.example"


@pytest.fixture(scope="session")
def oidc_provider():
    with running_provider(
        redirect_uri=CALLBACK, accounts={}, extra_claims=[], client_id="envmanager-tests", client_secret=CLIENT_SECRET,
    ) as provider:
        yield provider


@pytest.fixture
def sso(settings, oidc_provider):
    sso_configure(settings, oidc_provider)
    return oidc_provider


def _start(client, query=""):
    response = client.get(reverse("accounts:sso-start") + query)
    assert response.status_code == 302, response.content
    return response


@pytest.mark.django_db
def test_without_configuration_nothing_changes(client):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200 and "Sign in with SSO" not in page.text and 'name="password"' in page.text
    assert client.get(reverse("accounts:sso-start")).status_code == 404
    assert client.get(reverse("accounts:sso-callback"), {"code": "c", "state": "s"}).status_code == 404


@pytest.mark.django_db
def test_the_login_page_offers_sso_without_asking_the_provider(client, settings, monkeypatch):
    settings.ENVMANAGER_OIDC_ISSUER, settings.ENVMANAGER_OIDC_CLIENT_ID = ISSUER, "id"
    settings.ENVMANAGER_OIDC_CLIENT_SECRET = CLIENT_SECRET
    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("discovery ran for the login page"))
    page = client.get(reverse("accounts:login") + "?next=/workspaces/")
    assert page.status_code == 200
    assert 'href="/accounts/sso/start/?next=/workspaces/"' in page.text and 'name="password"' in page.text
    assert CLIENT_SECRET not in page.text


@pytest.mark.django_db
def test_start_sends_the_client_id_state_and_pkce_s256_to_the_authorization_endpoint(client, sso):
    location = urlsplit(_start(client)["Location"])
    params = {name: values[0] for name, values in parse_qs(location.query).items()}
    endpoint = provider_configuration().authorization_endpoint
    assert f"{location.scheme}://{location.netloc}{location.path}" == endpoint and endpoint.startswith(sso.issuer)
    assert params["client_id"] == sso.client_id and params["response_type"] == "code"
    assert params["redirect_uri"] == CALLBACK  # the app's own fixed address
    assert params["code_challenge_method"] == "S256"
    stored = client.session["oidc_states"][params["state"]]
    verifier = stored["code_verifier"].encode()
    assert params["code_challenge"] == base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
    assert params["nonce"] == stored["nonce"]
    assert CLIENT_SECRET not in location.geturl()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url, kept", [("/workspaces/data/", "/workspaces/data/"), ("https://evil.example/", None),
                                            ("//evil.example/x", None)])
def test_next_is_kept_only_on_this_site(client, sso, next_url, kept):
    _start(client, f"?next={next_url}")
    assert client.session["oidc_login_next"] == kept


@pytest.mark.django_db
def test_discovery_is_read_once_then_cached(client, sso, monkeypatch):
    _start(client)
    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("discovery ran twice"))
    _start(client)


@pytest.mark.django_db
@pytest.mark.parametrize("issuer, message", [
    (lambda p: f"http://127.0.0.1:{free_port()}", "could not be reached at http://127.0.0.1:"),
    (lambda p: p.issuer + "/realms/none", "answered HTTP 404 at"),
    (lambda p: p.issuer + "/", "names the issuer"),
])
def test_a_misconfigured_issuer_is_a_clear_message_and_changes_nothing(client, sso, settings, issuer, message):
    settings.ENVMANAGER_OIDC_ISSUER = issuer(sso)
    response = client.get(reverse("accounts:sso-start"))
    assert response.status_code == 503
    assert "Single sign-on is unavailable" in response.text and message in response.text
    assert "oidc_states" not in client.session and not get_user_model().objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("query, message", [
    ({"code": "c", "state": "forged"}, "state mismatch"),
    ({"state": "forged"}, "state mismatch"),
    ({"error": "access_denied", "state": "s"}, "cancelled at the identity provider (access denied)"),
    ({"error": "invalid_scope", "error_description": "<b>no</b>"}, "refused the sign-in: invalid_scope (&lt;b&gt;no&lt;/b&gt;)"),
])
def test_a_failed_return_is_a_clear_page_and_creates_nobody(client, sso, query, message):
    response = client.get(reverse("accounts:sso-callback"), query)
    assert response.status_code == 400 and "Single sign-on failed" in response.text and message in response.text
    assert not get_user_model().objects.exists() and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_code_the_provider_refuses_is_a_clear_page_and_the_secret_stays_out_of_logs(client, sso, caplog):
    params = parse_qs(urlsplit(_start(client)["Location"]).query)
    with caplog.at_level(logging.DEBUG):
        response = client.get(reverse("accounts:sso-callback"), {"code": "not-a-code", "state": params["state"][0]})
    assert response.status_code == 400 and "could not be verified" in response.text
    assert CLIENT_SECRET not in response.text and CLIENT_SECRET not in caplog.text
    assert not get_user_model().objects.exists()
    # The state is used up: the same return again is a mismatch.
    again = client.get(reverse("accounts:sso-callback"), {"code": "not-a-code", "state": params["state"][0]})
    assert "state mismatch" in again.text


@pytest.fixture
def password_login_off(settings):
    settings.ENVMANAGER_PASSWORD_LOGIN = False
    settings.AUTHENTICATION_BACKENDS = [
        "accounts.sso.PasswordBackend" if b == "django.contrib.auth.backends.ModelBackend" else b
        for b in settings.AUTHENTICATION_BACKENDS
    ]


@pytest.mark.django_db
def test_password_login_off_hides_and_refuses_passwords_but_superusers_keep_the_admin(client, password_login_off):
    UserFactory(username="bob", password="pw-1", is_staff=True)
    get_user_model().objects.create_superuser("root", password="pw-2")
    page = client.get(reverse("accounts:login"))
    assert 'name="password"' not in page.text and "Password sign-in is turned off" in page.text
    refused = client.post(reverse("accounts:login"), {"username": "root", "password": "pw-2"})
    assert refused.status_code == 403 and "_auth_user_id" not in client.session
    admin_login = reverse("admin:login")
    client.post(admin_login, {"username": "bob", "password": "pw-1", "next": "/admin/"})
    assert "_auth_user_id" not in client.session  # staff, not a superuser
    assert client.post(admin_login, {"username": "root", "password": "pw-2", "next": "/admin/"}).status_code == 302
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(username="root").pk)


def _claims(sub="sub-1", **more):
    return {"sub": sub, "email": "carol@example.com", "email_verified": True, "preferred_username": "carol", **more}


@pytest.mark.django_db
def test_a_new_subject_gets_a_new_account_without_a_password():
    user = user_for_claims(issuer=ISSUER, claims=_claims())
    assert (user.username, user.email, user.has_usable_password()) == ("carol", "carol@example.com", False)
    assert SSOIdentity.objects.get(issuer=ISSUER, subject="sub-1").user == user


@pytest.mark.django_db
def test_the_subject_is_matched_first_even_when_the_email_changed():
    user = user_for_claims(issuer=ISSUER, claims=_claims())
    UserFactory(username="other", email="new@example.com")
    assert user_for_claims(issuer=ISSUER, claims=_claims(email="new@example.com")) == user


@pytest.mark.django_db
def test_a_verified_email_joins_the_existing_account():
    existing = UserFactory(username="carol.local", email="Carol@Example.com")
    assert user_for_claims(issuer=ISSUER, claims=_claims()) == existing
    assert SSOIdentity.objects.get(subject="sub-1").user == existing


@pytest.mark.django_db
@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_never_joins_an_existing_account(verified):
    UserFactory(username="carol.local", email="carol@example.com")
    with pytest.raises(SignInRefused, match="does not say the address is verified"):
        user_for_claims(issuer=ISSUER, claims=_claims(email_verified=verified))
    assert get_user_model().objects.count() == 1 and not SSOIdentity.objects.exists()


@pytest.mark.django_db
def test_an_account_already_joined_to_another_subject_is_not_taken_over():
    user_for_claims(issuer=ISSUER, claims=_claims(sub="sub-1"))
    with pytest.raises(SignInRefused, match="already signs in as another user"):
        user_for_claims(issuer=ISSUER, claims=_claims(sub="sub-2"))


@pytest.mark.django_db
def test_a_taken_username_gets_a_suffix_and_never_that_account():
    local = UserFactory(username="carol", email="")
    user = user_for_claims(issuer=ISSUER, claims=_claims(email="c2@example.com"))
    assert user != local and user.username.startswith("carol-") and len(user.username) == len("carol-") + 8


@pytest.mark.django_db
def test_two_accounts_with_the_email_are_not_guessed_between():
    UserFactory(username="a", email="carol@example.com"), UserFactory(username="b", email="CAROL@example.com")
    with pytest.raises(SignInRefused, match="More than one envmanager account"):
        user_for_claims(issuer=ISSUER, claims=_claims())


def test_the_client_secret_is_hidden_on_debug_pages(settings):
    settings.ENVMANAGER_OIDC_CLIENT_SECRET = CLIENT_SECRET
    shown = SecretSafeExceptionReporterFilter().get_safe_settings()
    assert shown["ENVMANAGER_OIDC_CLIENT_SECRET"] != CLIENT_SECRET and CLIENT_SECRET not in str(shown)


def test_half_configured_sso_is_a_check_warning(settings):
    assert sso_settings_check(None) == []
    settings.ENVMANAGER_OIDC_ISSUER = ISSUER
    assert [w.msg for w in sso_settings_check(None)] == [
        "Single sign-on is off: ENVMANAGER_OIDC_CLIENT_ID, ENVMANAGER_OIDC_CLIENT_SECRET is not set "
        "(all of ENVMANAGER_OIDC_ISSUER, ENVMANAGER_OIDC_CLIENT_ID, ENVMANAGER_OIDC_CLIENT_SECRET are needed)."
    ]
    settings.ENVMANAGER_PASSWORD_LOGIN = False
    assert [w.id for w in sso_settings_check(None)] == ["accounts.W001", "accounts.W002"]


@pytest.mark.django_db
def test_a_user_deactivated_after_signing_on_is_signed_out(client, sso):
    user = user_for_claims(issuer=sso.issuer, claims=_claims())
    client.force_login(user, backend="accounts.sso.SSOBackend")
    assert client.get("/").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_admin_lists_identities_and_adds_none(admin_client):
    user_for_claims(issuer=ISSUER, claims=_claims())
    page = admin_client.get(reverse("admin:accounts_ssoidentity_changelist"))
    assert page.status_code == 200 and "sub-1" in page.text
    assert admin_client.get(reverse("admin:accounts_ssoidentity_add")).status_code == 403


@pytest.mark.django_db
def test_a_provider_gone_between_start_and_return_is_a_clear_page(client, sso, monkeypatch):
    state = parse_qs(urlsplit(_start(client)["Location"]).query)["state"][0]
    cache.clear()  # the cached discovery document expired meanwhile

    def unreachable(*args, **kwargs):
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(requests, "get", unreachable)
    response = client.get(reverse("accounts:sso-callback"), {"code": "c", "state": state})
    assert response.status_code == 503 and "could not be reached at" in response.text
    assert not get_user_model().objects.exists()
