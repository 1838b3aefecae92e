"""Personal access tokens: hashed, shown once, expiring, revocable; never valid on the read API, and the
read API's tokens never valid here."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from envmanager.models import AuditEntry, PersonalAccessToken, Role
from envmanager.services import members as member_services
from envmanager.services import personal_tokens as pat_services
from envmanager.services import tokens as token_services
from tests.api.manage.conftest import ManageClient, ws

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_hashed_and_named_in_its_audit_entry(owner):
    issued = pat_services.personal_token_create(user=owner, name="ci")

    row = PersonalAccessToken.objects.get()
    assert issued.plain.startswith("emp_") and len(issued.plain) == 47
    assert row.token_hash == token_services.token_hash(issued.plain) != issued.plain
    assert issued.plain not in repr(issued) and issued.plain not in str(PersonalAccessToken.objects.values().get())
    assert row.expires_at - row.created_at == pytest.approx(timedelta(days=90), abs=timedelta(seconds=5))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERSONAL_TOKEN_CREATE)
    assert entry.actor == owner and "ci" in entry.target_label and issued.plain not in str(entry.changes)


@pytest.mark.parametrize("name, days", [("", 90), ("ci", 0), ("ci", 400), ("ci", "30")])
def test_bad_names_and_expiries_are_refused(owner, name, days):
    with pytest.raises(ValidationError):
        pat_services.personal_token_create(user=owner, name=name, expires_days=days)
    assert not PersonalAccessToken.objects.exists()


def test_an_active_name_is_unique_per_user(owner, operator):
    pat_services.personal_token_create(user=owner, name="ci")
    with pytest.raises(ValidationError, match="already have"):
        pat_services.personal_token_create(user=owner, name="ci")
    pat_services.personal_token_create(user=operator, name="ci")


def test_expiry_is_checked_against_the_clock(owner):
    start = timezone.now()
    issued = pat_services.personal_token_create(user=owner, name="ci", expires_days=1, now=start)

    assert pat_services.personal_token_authenticate(plain=issued.plain, now=start + timedelta(hours=23)) is not None
    assert pat_services.personal_token_authenticate(plain=issued.plain, now=start + timedelta(days=1)) is None
    assert pat_services.personal_token_authenticate(plain=issued.plain, now=start + timedelta(days=2)) is None


def test_last_used_is_written_at_most_once_a_minute(owner):
    issued = pat_services.personal_token_create(user=owner, name="ci")
    now = timezone.now()
    pat_services.personal_token_authenticate(plain=issued.plain, now=now)
    pat_services.personal_token_authenticate(plain=issued.plain, now=now + timedelta(seconds=30))
    assert PersonalAccessToken.objects.get().last_used_at == now
    pat_services.personal_token_authenticate(plain=issued.plain, now=now + timedelta(minutes=2))
    assert PersonalAccessToken.objects.get().last_used_at == now + timedelta(minutes=2)


def test_a_revoked_or_expired_token_answers_401(owner, workspace):
    issued = pat_services.personal_token_create(user=owner, name="ci")
    client = ManageClient(issued.plain)
    assert client.get("/workspaces").status_code == 200

    pat_services.personal_token_revoke(token=issued.api_token, actor=owner)
    response = client.get("/workspaces")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"message", "extra"}
    with pytest.raises(ValidationError, match="already revoked"):
        pat_services.personal_token_revoke(token=issued.api_token, actor=owner)

    expired = pat_services.personal_token_create(user=owner, name="old", now=timezone.now() - timedelta(days=91))
    assert ManageClient(expired.plain).get("/workspaces").status_code == 401


@pytest.mark.parametrize("token", [None, "", "emp_short", "emp_" + "x" * 43, "Basic abc"])
def test_missing_and_bad_tokens_answer_401(db, token):
    assert ManageClient(token).get("/workspaces").status_code == 401


def test_a_read_api_token_never_works_on_the_manage_api(dev_token, owner):
    assert ManageClient(dev_token.plain).get("/workspaces").status_code == 401


def test_a_personal_token_never_works_on_the_read_api(client, owner, dev):
    issued = pat_services.personal_token_create(user=owner, name="ci")
    response = client.get("/api/v1/environment", headers={"Authorization": f"Bearer {issued.plain}"})
    assert response.status_code == 401


def test_a_token_acts_with_its_users_current_role(owner, operator, workspace):
    issued = pat_services.personal_token_create(user=operator, name="ci")
    client = ManageClient(issued.plain)
    body = {"type": "variable", "key": "a", "fields": {"value": "1"}}
    assert client.post(ws(workspace.name) + "/objects", body).status_code == 201

    member_services.membership_set(workspace=workspace, user=operator, role=Role.AUTHOR, actor=owner)
    assert client.post(ws(workspace.name) + "/objects", {**body, "key": "b"}).status_code == 403

    member_services.membership_remove(workspace=workspace, user=operator, actor=owner)
    assert client.get(ws(workspace.name)).status_code == 404


def test_a_deactivated_users_token_answers_401(operator, workspace):
    issued = pat_services.personal_token_create(user=operator, name="ci")
    operator.is_active = False
    operator.save()
    assert ManageClient(issued.plain).get("/workspaces").status_code == 401
