"""Membership services: adding, role changes, removal, and the last Owner who always stays."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, Membership, Role
from envmanager.services.members import member_add, membership_remove, membership_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _roles(workspace):
    return dict(Membership.objects.filter(workspace=workspace).values_list("user__username", "role"))


def test_member_add_gives_an_existing_user_the_role_and_records_it(workspace, owner):
    UserFactory(username="dana")
    membership = member_add(workspace=workspace, username="dana", role=Role.AUTHOR, actor=owner)

    assert membership.role == Role.AUTHOR
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBERSHIP_SET, target_label="User 'dana'")
    assert entry.actor == owner and entry.changes["after"] == {"role": "author"}


def test_member_add_refuses_a_member_and_an_unknown_user_and_changes_nothing(workspace, owner, author):
    before = _roles(workspace)
    with pytest.raises(ValidationError, match=r"'author' is already a member of this Workspace \(Author\)"):
        member_add(workspace=workspace, username="author", role=Role.OWNER, actor=owner)
    with pytest.raises(ValidationError, match="no user named 'nobody'. Invite them instead"):
        member_add(workspace=workspace, username="nobody", role=Role.MEMBER, actor=owner)
    assert _roles(workspace) == before


def test_the_last_owner_cannot_be_demoted_or_removed(workspace, owner, operator):
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match="'owner' is the last Owner of Workspace 'Data Platform' and cannot be demoted"):
        membership_set(workspace=workspace, user=owner, role=Role.OPERATOR, actor=owner)
    with pytest.raises(ValidationError, match="last Owner .* cannot be removed"):
        membership_remove(workspace=workspace, user=owner, actor=owner)

    assert _roles(workspace) == {"owner": "owner", "operator": "operator"}
    assert AuditEntry.objects.count() == entries
    assert owner.groups.get().workspace_role.role == Role.OWNER


def test_an_owner_can_step_down_once_another_owner_exists(workspace, owner, operator):
    membership_set(workspace=workspace, user=operator, role=Role.OWNER, actor=owner)
    membership_set(workspace=workspace, user=owner, role=Role.MEMBER, actor=owner)
    membership_remove(workspace=workspace, user=owner, actor=operator)

    assert _roles(workspace) == {"operator": "owner"}


def test_setting_the_same_role_again_changes_nothing(workspace, owner):
    entries = AuditEntry.objects.count()
    membership_set(workspace=workspace, user=owner, role=Role.OWNER, actor=owner)
    assert AuditEntry.objects.count() == entries
