"""The account menu's "API tokens" page: create (shown once), list, revoke; only one's own tokens."""

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from envmanager.models import PersonalAccessToken
from envmanager.services import personal_tokens as pat_services
from tests.views.conftest import htmx_headers, sign_in, url

pytestmark = pytest.mark.django_db


def test_the_account_menu_links_to_the_page(client, owner, workspace):
    sign_in(client, owner)
    assert url("personal-tokens").encode() in client.get(url("home")).content


def test_create_shows_the_token_once(client, owner):
    sign_in(client, owner)
    response = client.post(url("personal-tokens"), {"name": "ci", "expires_days": "30"})

    token = PersonalAccessToken.objects.get(user=owner)
    plain = response.content.decode().split('id="new-token-value" type="text" readonly value="')[1].split('"')[0]
    assert pat_services.personal_token_authenticate(plain=plain) == token
    assert response["Cache-Control"] == "no-store"
    listing = client.get(url("personal-tokens")).content.decode()
    assert "ci" in listing and token.prefix in listing and plain not in listing


@pytest.mark.parametrize("data", [{"name": ""}, {"name": "ci", "expires_days": "x"}, {"name": "ci", "expires_days": "999"}])
def test_bad_input_is_shown_on_the_form(client, owner, data):
    sign_in(client, owner)
    response = client.post(url("personal-tokens"), data)
    assert response.status_code == 400 and b'role="alert"' in response.content
    assert not PersonalAccessToken.objects.exists()


def test_revoke_is_confirmed_and_works_with_htmx(client, owner):
    issued = pat_services.personal_token_create(user=owner, name="ci")
    sign_in(client, owner)
    page = client.get(url("personal-tokens")).content.decode()
    assert 'hx-confirm="Revoke the personal access token' in page

    response = client.post(url("personal-token-revoke", issued.api_token.pk), headers=htmx_headers())
    assert response.status_code == 200 and b'id="pat-section"' in response.content and b"<html" not in response.content
    assert pat_services.personal_token_authenticate(plain=issued.plain) is None


class _FormInputs(HTMLParser):
    """The named inputs of each form on a page, by the form's action: what a browser without JavaScript posts."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._action = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._action = attrs.get("action")
            self.forms[self._action] = {}
        elif tag == "input" and self._action is not None and attrs.get("name"):
            self.forms[self._action][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._action = None


def test_revoke_works_without_javascript(owner):
    """The revoke form carries its own CSRF token (htmx adds a header; a plain form post has only the form)."""
    issued = pat_services.personal_token_create(user=owner, name="ci")
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, owner)
    parser = _FormInputs()
    parser.feed(browser.get(url("personal-tokens")).content.decode())
    revoke_url = url("personal-token-revoke", issued.api_token.pk)

    response = browser.post(revoke_url, parser.forms[revoke_url])

    assert response.status_code == 200
    assert pat_services.personal_token_authenticate(plain=issued.plain) is None


def test_another_users_token_is_404(client, owner, operator):
    issued = pat_services.personal_token_create(user=operator, name="theirs")
    sign_in(client, owner)
    assert client.post(url("personal-token-revoke", issued.api_token.pk)).status_code == 404
    assert "theirs" not in client.get(url("personal-tokens")).content.decode()
    assert pat_services.personal_token_authenticate(plain=issued.plain) is not None


def test_the_page_needs_sign_in(client):
    assert client.get(url("personal-tokens")).status_code == 302


def test_an_expired_token_is_shown_as_expired_without_a_revoke_button(client, owner):
    from datetime import timedelta

    from django.utils import timezone

    pat_services.personal_token_create(user=owner, name="old", now=timezone.now() - timedelta(days=100))
    sign_in(client, owner)
    page = client.get(url("personal-tokens")).content.decode()
    assert "expired" in page and "Revoke personal access token old" not in page


def test_the_page_runs_the_same_queries_for_3_and_30_tokens(client, owner):
    sign_in(client, owner)
    client.get(url("personal-tokens"))  # the first request also caches content types
    counts = []
    for total in (3, 30):
        for n in range(PersonalAccessToken.objects.count(), total):
            issued = pat_services.personal_token_create(user=owner, name=f"token-{n:02d}")
            if n % 3 == 0:
                pat_services.personal_token_revoke(token=issued.api_token, actor=owner)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url("personal-tokens")).content.decode()
        assert page.count("<code>emp_") == total
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 6, counts
