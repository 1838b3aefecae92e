"""Two sign-ins of one person at the same moment grant each claimed membership once."""

import pytest

from envmanager.models import AuditEntry, Membership, Role, SSORoleGrant
from envmanager.services.sso_roles import sso_memberships_sync
from tests.envmanager.services.test_promotion_concurrency import _run_together
from tests.factories import UserFactory, WorkspaceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_two_sign_ins_at_once_grant_and_audit_each_membership_once(settings):
    settings.ENVMANAGER_OIDC_ROLE_CLAIM = "groups"
    WorkspaceFactory(name="Data"), WorkspaceFactory(name="Ops")
    user = UserFactory()
    claims = {"sub": "s", "groups": ["envmanager:Data:operator", "envmanager:Ops:member"]}

    results, errors = _run_together(
        lambda: sso_memberships_sync(user=user, claims=claims),
        lambda: sso_memberships_sync(user=user, claims=claims),
    )

    assert errors == []
    assert sorted(Membership.objects.filter(user=user).values_list("workspace__name", "role")) == [
        ("Data", Role.OPERATOR), ("Ops", Role.MEMBER),
    ]
    assert SSORoleGrant.objects.filter(user=user).count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MEMBERSHIP_SET, target_id=user.pk).count() == 2
