"""Memberships through the membership services; role groups read-only everywhere in the admin."""

import pytest
from django.contrib.auth.models import Group

from envmanager.models import AuditEntry, Membership, Role, WorkspaceRoleGroup
from envmanager.services.members import membership_set
from tests.admin.conftest import admin_url, change_form_data, form_errors
from tests.factories import UserFactory


def _role_groups(user, workspace) -> set[str]:
    return set(
        WorkspaceRoleGroup.objects.filter(workspace=workspace, group__user=user).values_list("role", flat=True)
    )


def test_add_membership_through_the_service(su_client, superuser, workspace):
    alice = UserFactory(username="alice")

    response = su_client.post(
        admin_url(Membership, "add"), {"workspace": workspace.pk, "user": alice.pk, "role": Role.OPERATOR}
    )

    assert response.status_code == 302
    assert Membership.objects.get(user=alice).role == Role.OPERATOR
    assert _role_groups(alice, workspace) == {Role.OPERATOR}
    entry = AuditEntry.objects.get(action="membership.set", target_id=alice.pk)
    assert entry.actor == superuser


def test_add_membership_with_unknown_role_is_an_error(su_client, workspace):
    alice = UserFactory(username="alice")

    response = su_client.post(
        admin_url(Membership, "add"), {"workspace": workspace.pk, "user": alice.pk, "role": "emperor"}
    )

    assert "emperor" in form_errors(response)["role"][0]
    assert not Membership.objects.filter(user=alice).exists()


def test_change_role_moves_the_user_to_the_other_role_group(su_client, workspace, author):
    membership = Membership.objects.get(user=author)
    audit_count = AuditEntry.objects.count()

    su_client.post(admin_url(membership, "change"), change_form_data(su_client, membership, role=Role.OWNER))

    membership.refresh_from_db()
    assert membership.role == Role.OWNER
    assert _role_groups(author, workspace) == {Role.OWNER}
    assert AuditEntry.objects.count() == audit_count + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.changes == {"before": {"role": "author"}, "after": {"role": "owner"}}


def test_delete_membership_removes_the_role(su_client, workspace, author):
    membership = Membership.objects.get(user=author)

    response = su_client.post(admin_url(membership, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.exists()
    assert _role_groups(author, workspace) == set()
    assert AuditEntry.objects.filter(action="membership.remove", target_id=author.pk).count() == 1


def test_role_groups_are_read_only(su_client, workspace):
    role_group = WorkspaceRoleGroup.objects.filter(workspace=workspace).select_related("group").first()
    group = role_group.group
    permissions_before = set(group.permissions.all())

    assert su_client.get(admin_url(WorkspaceRoleGroup, "add")).status_code == 403
    assert su_client.post(admin_url(role_group, "delete"), {"post": "yes"}).status_code == 403
    assert su_client.post(admin_url(group, "change"), {"name": "renamed"}).status_code == 403
    assert su_client.post(admin_url(group, "delete"), {"post": "yes"}).status_code == 403

    group.refresh_from_db()
    assert group.name.startswith("workspace:")
    assert set(group.permissions.all()) == permissions_before
    assert WorkspaceRoleGroup.objects.filter(pk=role_group.pk).exists()


def test_other_groups_stay_editable(su_client, db):
    group = Group.objects.create(name="helpdesk")

    su_client.post(admin_url(group, "change"), {"name": "support"})

    group.refresh_from_db()
    assert group.name == "support"


def test_user_admin_does_not_edit_groups(su_client, workspace, member):
    owner_group = WorkspaceRoleGroup.objects.get(workspace=workspace, role=Role.OWNER).group
    form = su_client.get(admin_url(member, "change")).context["adminform"].form
    assert "groups" not in form.fields

    response = su_client.post(admin_url(member, "change"), {
        "username": "member", "first_name": "Mem", "is_active": "on", "groups": [owner_group.pk],
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.first_name == "Mem"
    assert not member.groups.filter(pk=owner_group.pk).exists()
    assert _role_groups(member, workspace) == {Role.MEMBER}


@pytest.mark.parametrize("role", [Role.OWNER, Role.MEMBER])
def test_membership_change_form_offers_only_the_role(su_client, workspace, role):
    user = UserFactory(username=f"u-{role}")
    membership = membership_set(workspace=workspace, user=user, role=role, actor=None)

    form = su_client.get(admin_url(membership, "change")).context["adminform"].form

    assert list(form.fields) == ["role"]
    assert form["role"].value() == role
