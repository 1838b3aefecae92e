"""Two Owners demoted at the same moment: the Workspace lock counts them one after the other (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from envmanager.models import Membership, Role
from envmanager.services.members import membership_remove, membership_set
from tests.envmanager.services.test_target_deletion_concurrency import _blocked, _in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture
def two_owners(workspace, owner, operator):
    membership_set(workspace=workspace, user=operator, role=Role.OWNER, actor=None)
    return owner, operator


@pytest.mark.parametrize("second", ["demote", "remove"])
def test_two_owners_demoted_at_once_leave_one_owner(workspace, two_owners, second):
    first_owner, second_owner = two_owners
    started, release = threading.Event(), threading.Event()
    first, first_result = _in_thread(
        lambda: membership_set(workspace=workspace, user=first_owner, role=Role.MEMBER, actor=None), started, release
    )
    started.wait(timeout=30)  # the first demotion holds the Workspace's lock, not committed yet
    if second == "demote":
        call = lambda: membership_set(workspace=workspace, user=second_owner, role=Role.MEMBER, actor=None)  # noqa: E731
    else:
        call = lambda: membership_remove(workspace=workspace, user=second_owner, actor=None)  # noqa: E731
    other, other_result = _in_thread(call)
    assert _blocked(other)  # waits for the lock instead of counting two Owners
    release.set()
    first.join(30)
    other.join(30)

    assert isinstance(first_result[0], Membership), first_result
    assert isinstance(other_result[0], ValidationError) and "last Owner" in str(other_result[0])
    owners = list(Membership.objects.filter(workspace=workspace, role=Role.OWNER).values_list("user__username", flat=True))
    assert owners == [second_owner.username]
    connection.close()
