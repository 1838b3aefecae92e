import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from envmanager.models import Membership, Role
from envmanager.permissions import ENVOBJECTS_CREATE, user_can
from tests.commands.conftest import TerminalInput, db_state
from tests.factories import UserFactory

User = get_user_model()


def test_member_add_gives_an_existing_user_a_role_with_its_permissions(run, workspace):
    alice = UserFactory(username="alice")

    result = run("member_add", username="alice", role="operator")

    assert Membership.objects.get(workspace=workspace, user=alice).role == Role.OPERATOR
    assert user_can(User.objects.get(pk=alice.pk), ENVOBJECTS_CREATE, workspace)
    assert "User 'alice' is now Operator of Workspace 'Data Platform' (was: not a member)." in result.out


def test_member_add_changes_the_role_of_a_member(run, workspace, operator):
    result = run("member_add", username="operator", role="author")

    assert Membership.objects.get(workspace=workspace, user=operator).role == Role.AUTHOR
    assert not user_can(User.objects.get(pk=operator.pk), ENVOBJECTS_CREATE, workspace)
    assert "is now Author of Workspace 'Data Platform' (was: Operator)" in result.out


def test_member_add_with_the_same_role_changes_nothing(run, workspace, author):
    before = db_state()

    result = run("member_add", username="author", role="author")

    assert db_state() == before
    assert "already Author" in result.out and "nothing changed" in result.out


def test_member_add_refuses_a_missing_user_without_create_user(run, workspace):
    before = db_state()

    with pytest.raises(CommandError, match="No user named 'bob'; add --create-user"):
        run("member_add", username="bob", role="member")
    assert db_state() == before


def test_member_add_create_user_prints_a_working_password_once(run, workspace):
    result = run("member_add", username="bob", role="member", create_user=True)

    password = re.search(r"Password \(shown once; change it after the first login\): (\S+)", result.out).group(1)
    bob = User.objects.get(username="bob")
    assert bob.check_password(password)
    assert Membership.objects.get(workspace=workspace, user=bob).role == Role.MEMBER
    assert result.out.count(password) == 1


def test_member_add_dry_run_creates_no_user_and_prints_no_password(run, workspace):
    before = db_state()

    result = run("member_add", username="bob", role="owner", create_user=True, dry_run=True)

    assert db_state() == before
    assert "Would create user 'bob' and make 'bob' Owner" in result.out
    assert "Password" not in result.out


def test_member_add_rejects_an_unknown_role(run, workspace):
    UserFactory(username="alice")
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        run("member_add", username="alice", role="admin")
    assert not Membership.objects.exists()


def test_member_remove_refuses_without_yes_when_stdin_is_not_a_terminal(run, workspace, operator):
    before = db_state()

    with pytest.raises(CommandError, match="Remove user 'operator' .*\\? Refusing without confirmation: .* Add --yes"):
        run("member_remove", username="operator")
    assert db_state() == before


def test_member_remove_with_yes_removes_membership_and_permissions(run, workspace, operator):
    result = run("member_remove", username="operator", yes=True)

    assert not Membership.objects.filter(workspace=workspace).exists()
    assert not user_can(User.objects.get(pk=operator.pk), ENVOBJECTS_CREATE, workspace)
    assert "Removed user 'operator' (Operator) from Workspace 'Data Platform'." in result.out


def test_member_remove_asks_on_a_terminal(run, workspace, operator):
    result = run("member_remove", username="operator", stdin=TerminalInput("yes\n"))

    assert "Remove user 'operator' (Operator) from Workspace 'Data Platform'? Type 'yes'" in result.err
    assert not Membership.objects.filter(workspace=workspace).exists()


def test_member_remove_cancelled_on_a_terminal_changes_nothing(run, workspace, operator):
    before = db_state()

    with pytest.raises(CommandError, match="Cancelled; nothing changed."):
        run("member_remove", username="operator", stdin=TerminalInput("no\n"))
    assert db_state() == before


def test_member_remove_dry_run_changes_nothing_and_needs_no_confirmation(run, workspace, operator):
    before = db_state()

    result = run("member_remove", username="operator", dry_run=True)

    assert db_state() == before
    assert "Would remove user 'operator'" in result.out


def test_member_remove_of_a_non_member(run, workspace, outsider):
    with pytest.raises(CommandError, match="User 'outsider' is not a member of Workspace 'Data Platform'."):
        run("member_remove", workspace="Data Platform", username="outsider", yes=True)
    assert Membership.objects.filter(user=outsider).count() == 1
