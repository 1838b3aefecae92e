"""Membership changes at the same moment (PostgreSQL row locks): two Owners demoted, one link used twice."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import Membership, Role
from envmanager.services.invitations import INVALID_LINK, invitation_accept, member_invite
from envmanager.services.members import membership_remove, membership_set
from tests.envmanager.services.test_target_deletion_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("second", ["demote", "remove"])
def test_two_owners_demoted_at_once_leave_one_owner(workspace, owner, operator, second):
    membership_set(workspace=workspace, user=operator, role=Role.OWNER, actor=None)  # two Owners
    if second == "demote":
        other = lambda: membership_set(workspace=workspace, user=operator, role=Role.MEMBER, actor=None)  # noqa: E731
    else:
        other = lambda: membership_remove(workspace=workspace, user=operator, actor=None)  # noqa: E731

    first_result, other_result = race(
        lambda: membership_set(workspace=workspace, user=owner, role=Role.MEMBER, actor=None), other
    )

    assert isinstance(first_result[0], Membership), first_result
    assert isinstance(other_result[0], ValidationError) and "last Owner" in str(other_result[0])
    owners = Membership.objects.filter(workspace=workspace, role=Role.OWNER).values_list("user__username", flat=True)
    assert list(owners) == ["operator"]


def test_the_same_invitation_link_used_twice_at_once_sets_one_password(workspace, owner):
    _, token = member_invite(workspace=workspace, username="erin", role=Role.MEMBER, actor=owner)

    first, second = race(
        lambda: invitation_accept(token=token, password="first-long-password-1"),
        lambda: invitation_accept(token=token, password="second-long-password-2"),
    )

    assert not isinstance(first[0], Exception), first
    assert isinstance(second[0], ValidationError) and second[0].messages == [INVALID_LINK]
    erin = type(owner).objects.get(username="erin")
    assert erin.check_password("first-long-password-1")
