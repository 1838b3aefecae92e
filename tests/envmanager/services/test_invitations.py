"""Invitations: a new account, a one-time link stored hashed, valid 7 days by the injected clock."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, Invitation, Membership, Role
from envmanager.services.invitations import (
    INVALID_LINK,
    invitation_accept,
    invitation_for_token,
    invitation_token_hash,
    member_invite,
)
from envmanager.services.members import membership_remove
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def invited(workspace, owner):
    membership, token = member_invite(workspace=workspace, username="erin", role=Role.AUTHOR, actor=owner, now=NOW)
    return membership.user, token


def test_invite_creates_an_account_without_a_password_and_stores_only_the_tokens_hash(workspace, owner, invited):
    user, token = invited
    assert not user.has_usable_password()
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.AUTHOR
    invitation = Invitation.objects.get(user=user)
    assert invitation.token_hash == invitation_token_hash(token) != token
    assert invitation.expires_at == NOW + timedelta(days=7)
    assert len(token) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_INVITE)
    assert token not in str(entry.changes) and invitation.token_hash not in str(entry.changes)


def test_the_link_sets_the_password_once(invited):
    user, token = invited
    invitation_accept(token=token, password=PASSWORD, now=NOW + timedelta(hours=1))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    with pytest.raises(ValidationError, match=re.escape(INVALID_LINK)):
        invitation_accept(token=token, password="another-long-password-99", now=NOW + timedelta(hours=2))
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.USER_PASSWORD_SET, target_id=user.pk).count() == 1


def test_the_link_expires_after_seven_days(invited):
    user, token = invited
    assert invitation_for_token(token, now=NOW + timedelta(days=7) - timedelta(seconds=1))
    with pytest.raises(ValidationError, match=re.escape(INVALID_LINK)):
        invitation_accept(token=token, password=PASSWORD, now=NOW + timedelta(days=7))
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_wrong_token_gets_the_same_answer_as_a_used_one(invited):
    for token in ("", "nope", invited[1][:-1], "\ud800"):
        with pytest.raises(ValidationError) as caught:
            invitation_for_token(token, now=NOW)
        assert caught.value.messages == [INVALID_LINK]


def test_a_weak_password_is_refused_and_the_link_still_works(invited):
    user, token = invited
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password="erin", now=NOW)
    assert Invitation.objects.get(user=user).used_at is None
    invitation_accept(token=token, password=PASSWORD, now=NOW)


def test_removing_the_member_voids_the_unused_link(workspace, owner, invited):
    user, token = invited
    membership_remove(workspace=workspace, user=user, actor=owner)
    with pytest.raises(ValidationError, match=re.escape(INVALID_LINK)):
        invitation_for_token(token, now=NOW)


def test_inviting_a_member_or_an_existing_user_is_refused_and_changes_nothing(workspace, owner, author):
    UserFactory(username="frank")
    counts = (Invitation.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError, match=r"'author' is already a member of this Workspace \(Author\); no invitation"):
        member_invite(workspace=workspace, username="author", role=Role.MEMBER, actor=owner)
    with pytest.raises(ValidationError, match="A user named 'frank' already exists: add them"):
        member_invite(workspace=workspace, username="frank", role=Role.MEMBER, actor=owner)
    with pytest.raises(ValidationError, match="Enter a valid username"):
        member_invite(workspace=workspace, username="has space", role=Role.MEMBER, actor=owner)
    with pytest.raises(ValidationError, match="Unknown role"):
        member_invite(workspace=workspace, username="gina", role="boss", actor=owner)
    assert (Invitation.objects.count(), Membership.objects.count()) == counts
    assert not type(owner).objects.filter(username__in=["has space", "gina"]).exists()
