"""Two Owners demoted at the same moment: the Workspace lock counts them one after the other (PostgreSQL)."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import Membership, Role
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
