"""Sign-in and deployment hardening (issue #10, finding 7): lock-outs per user and per address, the read
API's failed tokens throttled per address, a password page for everyone, HTTPS settings, quiet 403s."""

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import UserFactory

REPO = Path(__file__).resolve().parents[2]
RIGHT, WRONG = "right-password-1", "wrong-password"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", password=RIGHT)


def _sign_in(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_repeated_wrong_passwords_lock_the_account_even_with_the_right_one(client, alice, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "alice", WRONG, ip=f"10.0.1.{attempt}").status_code == 200  # the form again
    assert _sign_in(client, "alice", WRONG, ip="10.0.1.99").status_code == 429  # the last failure locks
    response = _sign_in(client, "alice", RIGHT, ip="10.0.2.1")  # right password, another address

    assert response.status_code == 429 and "Too many failed sign-ins" in response.text
    assert "_auth_user_id" not in client.session


def test_repeated_failures_from_one_address_lock_that_address(client, alice, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"nobody-{attempt}", WRONG, ip="10.9.9.9")
    assert _sign_in(client, "alice", RIGHT, ip="10.9.9.9").status_code == 429
    assert _sign_in(client, "alice", RIGHT, ip="10.9.9.10").status_code == 302  # another address is not locked


def test_an_administrator_unlocks_with_a_command(client, alice, settings, capsys):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "alice", WRONG, ip=f"10.0.3.{attempt}")
    call_command("user_unlock", username="alice", dry_run=True)
    assert _sign_in(client, "alice", RIGHT).status_code == 429
    call_command("user_unlock", username="alice")
    assert "Unlocked user 'alice'" in capsys.readouterr().out

    assert _sign_in(client, "alice", RIGHT).status_code == 302


def test_the_admin_lists_access_attempts_for_unlocking(admin_client, alice, client):
    _sign_in(client, "alice", WRONG)
    page = admin_client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "alice" in page.text


def test_every_user_can_change_their_password(client, alice):
    client.post(reverse("accounts:login"), {"username": "alice", "password": RIGHT}, REMOTE_ADDR="10.0.0.1")
    home = client.get(reverse("envmanager:home"))
    assert reverse("accounts:password-change") in home.text  # the user menu links to it

    response = client.post(reverse("accounts:password-change"), {
        "old_password": RIGHT, "new_password1": "a-new-long-passphrase-42", "new_password2": "a-new-long-passphrase-42",
    })

    assert response.status_code == 302 and response["Location"] == reverse("accounts:password-change-done")
    alice.refresh_from_db()
    assert alice.check_password("a-new-long-passphrase-42") and not alice.is_staff


def test_the_password_page_needs_the_old_password(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:password-change"), {
        "old_password": WRONG, "new_password1": "a-new-long-passphrase-42", "new_password2": "a-new-long-passphrase-42",
    })
    assert response.status_code == 200 and "incorrectly" in response.text


# --- The read API -----------------------------------------------------------------------------------------


def test_failed_api_tokens_are_throttled_per_address(client, dev_token, settings):
    settings.ENVMANAGER_API_FAILURE_LIMIT = 3
    bad = {"Authorization": "Bearer emt_" + "x" * 43}
    for _ in range(3):
        assert client.get("/api/v1/environment", headers=bad, REMOTE_ADDR="10.1.1.1").status_code == 401

    good = {"Authorization": f"Bearer {dev_token.plain}"}
    throttled = client.get("/api/v1/environment", headers=good, REMOTE_ADDR="10.1.1.1")
    assert throttled.status_code == 429 and throttled.json()["message"].startswith("Too many requests")
    assert int(throttled["Retry-After"]) == settings.ENVMANAGER_API_FAILURE_WINDOW_SECONDS
    assert client.get("/api/v1/environment", headers=good, REMOTE_ADDR="10.1.1.2").status_code == 200


def test_a_trusted_proxy_names_the_client_address(client, dev_token, settings):
    settings.ENVMANAGER_API_FAILURE_LIMIT = 1
    bad = {"Authorization": "Bearer emt_" + "x" * 43}
    client.get("/api/v1/environment", headers={**bad, "X-Forwarded-For": "1.1.1.1"}, REMOTE_ADDR="10.0.0.5")
    # Untrusted: the header is the client's word; the address is the proxy's (now throttled).
    assert client.get("/api/v1/environment", headers={**bad, "X-Forwarded-For": "2.2.2.2"},
                      REMOTE_ADDR="10.0.0.5").status_code == 429
    settings.ENVMANAGER_TRUSTED_PROXY = True
    assert client.get("/api/v1/environment", headers={**bad, "X-Forwarded-For": "spoofed, 3.3.3.3"},
                      REMOTE_ADDR="10.0.0.5").status_code == 401


# --- Deployment settings ---------------------------------------------------------------------------------


def _settings_process(env: dict, *args) -> subprocess.CompletedProcess:
    # A production environment: none of envmanager's settings, and not the browser tests' async switch.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ENVMANAGER_", "DEBUG", "DJANGO_ALLOW_ASYNC"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={**base, "SECRET_KEY": secrets.token_urlsafe(50), "ENVMANAGER_ENCRYPTION_KEYS": "x" * 43 + "=", **env},
    )


def test_check_deploy_reports_no_issues_behind_https(tmp_path):
    result = _settings_process({"DEBUG": "0", "ENVMANAGER_HTTPS": "1", "ENVMANAGER_VAR_DIR": str(tmp_path)},
                               "check", "--deploy")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_warns_without_https(tmp_path):
    result = _settings_process({"DEBUG": "0", "ENVMANAGER_VAR_DIR": str(tmp_path)}, "check", "--deploy")
    assert "security.W004" in result.stderr + result.stdout


def test_https_and_proxy_settings(tmp_path):
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER)")
    on = _settings_process({"ENVMANAGER_HTTPS": "1", "ENVMANAGER_TRUSTED_PROXY": "1",
                            "ENVMANAGER_VAR_DIR": str(tmp_path)}, "shell", "-v", "0", "-c", code)
    off = _settings_process({"ENVMANAGER_VAR_DIR": str(tmp_path)}, "shell", "-v", "0", "-c", code)
    assert on.stdout.split() == ["True", "True", "True", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')"], on.stderr
    assert off.stdout.split() == ["False", "False", "False", "False", "None"], off.stderr


def test_a_403_logs_one_line(client, workspace, dev, author, caplog):
    client.force_login(author)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post(reverse("envmanager:deployment-settings", args=[workspace.pk, dev.pk]), {"name": "x"})
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "Traceback" not in caplog.text


def test_messages_are_never_kept_in_a_cookie(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    response = client.post(
        reverse("envmanager:migration-plan", args=[workspace.pk, dev.pk, "variables"]), {"step": "apply", "source": ["1"]}
    )
    assert response.status_code == 302 and "messages" not in response.cookies


def test_an_owner_unlocks_a_member_of_their_workspace(client, workspace, owner, author, outsider, settings):
    from envmanager.models import AuditEntry

    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "author", WRONG, ip=f"10.0.4.{attempt}")
    page = reverse("envmanager:member-lockouts", args=[workspace.pk])
    client.force_login(owner)
    assert "author" in client.get(page).text

    response = client.post(page, {"username": "author"})

    assert response.status_code == 302
    assert "No member of this Workspace is locked out" in client.get(page).text
    assert AuditEntry.objects.filter(action="user.sign_in_unlock", actor=owner).count() == 1
    client.logout()
    assert _sign_in(client, "author", "pw-for-tests").status_code == 302


def test_only_owners_see_lockouts_and_only_of_their_members(client, workspace, owner, operator, outsider, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "outsider", WRONG, ip=f"10.0.5.{attempt}")
    page = reverse("envmanager:member-lockouts", args=[workspace.pk])
    client.force_login(owner)
    assert "outsider" not in client.get(page).text
    client.post(page, {"username": "outsider"})
    client.logout()
    assert _sign_in(client, "outsider", "pw-for-tests").status_code == 429  # still locked: not this Owner's member

    client.force_login(operator)
    assert client.get(page).status_code == 403
    client.force_login(outsider)
    assert client.get(page).status_code == 404


def test_the_workspace_page_links_owners_to_the_lockouts(client, workspace, owner, operator):
    client.force_login(owner)
    page = reverse("envmanager:member-lockouts", args=[workspace.pk])
    assert page in client.get(reverse("envmanager:workspace-detail", args=[workspace.pk])).text
    client.force_login(operator)
    assert page not in client.get(reverse("envmanager:workspace-detail", args=[workspace.pk])).text
