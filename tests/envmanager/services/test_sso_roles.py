"""Memberships from the identity provider's role claim: granted, changed and withdrawn at each sign-on."""

import logging

import pytest

from envmanager.models import AuditEntry, Membership, Role, SSORoleGrant
from envmanager.services.sso_roles import role_claim_grants, sso_memberships_sync
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

CLAIM = "groups"


@pytest.fixture(autouse=True)
def _role_claim(settings):
    settings.ENVMANAGER_OIDC_ROLE_CLAIM = CLAIM


def roles_of(user) -> dict[str, str]:
    return {m.workspace.name: m.role for m in Membership.objects.filter(user=user).select_related("workspace")}


def sync(user, *values):
    sso_memberships_sync(user=user, claims={"sub": "s", CLAIM: list(values)})


def test_role_claim_values_parse_to_workspace_roles():
    assert role_claim_grants(
        ["envmanager:Data:owner", "envmanager:Data:member", "other-group", "envmanager:a:b:author",
         "envmanager:Ops:admin", "envmanager::owner", 7]
    ) == {"Data": "owner", "a:b": "author"}
    assert role_claim_grants("envmanager:Data:operator") == {"Data": "operator"}
    assert role_claim_grants(None) == {} == role_claim_grants({"envmanager:Data:owner": True})


def test_the_strongest_role_of_one_workspace_wins_in_any_order():
    assert role_claim_grants(["envmanager:W:operator", "envmanager:W:author"]) == {"W": "operator"}
    assert role_claim_grants(["envmanager:W:author", "envmanager:W:operator"]) == {"W": "operator"}


@pytest.mark.django_db
def test_sign_on_grants_the_claimed_memberships_with_audit_entries():
    data, ops = WorkspaceFactory(name="Data Platform"), WorkspaceFactory(name="Ops")
    user = UserFactory()
    sync(user, "envmanager:Data Platform:operator", "envmanager:Ops:member", "envmanager:Missing:owner")
    assert roles_of(user) == {"Data Platform": Role.OPERATOR, "Ops": Role.MEMBER}
    # The role's permissions come with its group (services/members.py).
    assert set(user.groups.values_list("workspace_role__workspace__name", "workspace_role__role")) == {
        ("Data Platform", Role.OPERATOR), ("Ops", Role.MEMBER),
    }
    assert set(SSORoleGrant.objects.filter(user=user).values_list("workspace__name", flat=True)) == {"Data Platform", "Ops"}
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.MEMBERSHIP_SET, target_id=user.pk)
    assert sorted((e.workspace_id, e.actor_id) for e in entries) == sorted([(data.pk, None), (ops.pk, None)])


@pytest.mark.django_db
def test_a_changed_claim_changes_the_role_and_withdraws_what_it_no_longer_grants():
    WorkspaceFactory(name="Data"), WorkspaceFactory(name="Ops")
    user = UserFactory()
    sync(user, "envmanager:Data:member", "envmanager:Ops:author")
    sync(user, "envmanager:Data:author")
    assert roles_of(user) == {"Data": Role.AUTHOR}
    assert list(SSORoleGrant.objects.filter(user=user).values_list("workspace__name", flat=True)) == ["Data"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MEMBERSHIP_REMOVE, target_id=user.pk).count() == 1
    sync(user)  # the claim is empty now: every granted membership goes
    assert roles_of(user) == {}
    assert not SSORoleGrant.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_memberships_given_by_hand_stay_when_the_claim_does_not_name_them():
    manual = WorkspaceFactory(name="Manual")
    WorkspaceFactory(name="Data")
    user = UserFactory()
    MembershipFactory(workspace=manual, user=user, role=Role.AUTHOR)
    sync(user, "envmanager:Data:member")
    sync(user)
    assert roles_of(user) == {"Manual": Role.AUTHOR}


@pytest.mark.django_db
def test_an_unchanged_claim_writes_nothing():
    WorkspaceFactory(name="Data")
    user = UserFactory()
    sync(user, "envmanager:Data:operator")
    before = AuditEntry.objects.count()
    sync(user, "envmanager:Data:operator")
    assert AuditEntry.objects.count() == before
    assert roles_of(user) == {"Data": Role.OPERATOR}


@pytest.mark.django_db
def test_the_last_owner_is_neither_demoted_nor_removed(caplog):
    WorkspaceFactory(name="Data")
    user = UserFactory()
    sync(user, "envmanager:Data:owner")
    with caplog.at_level(logging.WARNING, logger="envmanager.services.sso_roles"):
        sync(user, "envmanager:Data:member")
        assert roles_of(user) == {"Data": Role.OWNER}
        sync(user)
    assert roles_of(user) == {"Data": Role.OWNER}
    assert SSORoleGrant.objects.filter(user=user).exists()  # a later sign-in tries again
    messages = [r.getMessage() for r in caplog.records]
    assert [m.split(":")[0] for m in messages] == [
        f"Role claim could not make {user.username} member of 'Data'",
        f"Role claim could not remove {user.username} from 'Data'",
    ]
    assert all("is the last Owner of Workspace 'Data'" in m for m in messages)


@pytest.mark.django_db
def test_an_owner_with_another_owner_beside_them_is_removed():
    data = WorkspaceFactory(name="Data")
    MembershipFactory(workspace=data, role=Role.OWNER)
    user = UserFactory()
    sync(user, "envmanager:Data:owner")
    sync(user)
    assert roles_of(user) == {}


@pytest.mark.django_db
def test_without_the_setting_the_claim_is_not_read(settings):
    settings.ENVMANAGER_OIDC_ROLE_CLAIM = ""
    WorkspaceFactory(name="Data")
    user = UserFactory()
    sync(user, "envmanager:Data:owner")
    assert roles_of(user) == {}
