"""Workspace membership: who belongs to a Workspace and with which role; user accounts and their unlocking."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.signin import sign_in_unlock
from envmanager.models import AuditEntry, Invitation, Membership, Role, Workspace, WorkspaceRoleGroup
from envmanager.services.audit import audit_record


def _role_groups(workspace: Workspace) -> dict[str, WorkspaceRoleGroup]:
    return {rg.role: rg for rg in WorkspaceRoleGroup.objects.filter(workspace=workspace).select_related("group")}


def _membership_lock(workspace: Workspace, user) -> Membership | None:
    """Lock the Workspace's row, then return `user`'s membership. Every membership change of one Workspace
    takes the same lock first, so two Owners demoted at once are counted one after the other."""
    if not Workspace.objects.select_for_update().filter(pk=workspace.pk).exists():
        raise ValidationError(f"Workspace '{workspace.name}' was deleted; nothing was changed.")
    return Membership.objects.filter(workspace=workspace, user=user).first()


def _refuse_last_owner(membership: Membership, workspace: Workspace, what: str) -> None:
    if membership.role == Role.OWNER and not (
        Membership.objects.filter(workspace=workspace, role=Role.OWNER).exclude(pk=membership.pk).exists()
    ):
        raise ValidationError(
            f"'{membership.user.get_username()}' is the last Owner of Workspace '{workspace.name}' and cannot be "
            f"{what}; make another member Owner first. Nothing was changed."
        )


@transaction.atomic
def membership_set(*, workspace: Workspace, user, role: str, actor) -> Membership:
    """Make `user` a member of `workspace` with `role`, or change the role they have.

    The last Owner keeps the role: a Workspace always has someone who manages its members.
    """
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'. Use one of: {', '.join(Role.values)}."})
    groups = _role_groups(workspace)
    membership = _membership_lock(workspace, user)
    if membership is not None and role != Role.OWNER:
        _refuse_last_owner(membership, workspace, "demoted")
    before = {"role": membership.role} if membership else None
    if membership is None:
        membership = Membership.objects.create(workspace=workspace, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    else:
        return membership
    # One role group at a time: leaving the old group is what revokes the old role's permissions.
    user.groups.remove(*[rg.group for rg in groups.values()])
    user.groups.add(groups[role].group)
    audit_record(
        actor=actor, action=AuditEntry.Action.MEMBERSHIP_SET, workspace=workspace,
        target_type=AuditEntry.TargetType.USER, target_id=user.pk,
        target_label=f"User '{user.get_username()}'", before=before, after={"role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, workspace: Workspace, user, actor) -> None:
    """Remove `user` from `workspace`; they lose every permission there at once (the last Owner stays)."""
    membership = _membership_lock(workspace, user)
    if membership is None:
        raise ValidationError(f"User '{user.get_username()}' is not a member of Workspace '{workspace.name}'.")
    _refuse_last_owner(membership, workspace, "removed")
    user.groups.remove(*[rg.group for rg in _role_groups(workspace).values()])
    # An invitation link not used yet would let them set a password for a Workspace they left.
    Invitation.objects.filter(workspace=workspace, user=user, used_at__isnull=True).delete()
    before = {"role": membership.role}
    membership.delete()
    audit_record(
        actor=actor, action=AuditEntry.Action.MEMBERSHIP_REMOVE, workspace=workspace,
        target_type=AuditEntry.TargetType.USER, target_id=user.pk,
        target_label=f"User '{user.get_username()}'", before=before,
    )


@transaction.atomic
def member_add(*, workspace: Workspace, username: str, role: str, actor) -> Membership:
    """Add the existing user `username` to `workspace` with `role`; someone already a member is refused."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"There is no user named '{username}'. Invite them instead."})
    existing = _membership_lock(workspace, user)  # a racing add waits here, then finds the member
    if existing is not None:
        raise ValidationError(
            {"username": f"'{username}' is already a member of this Workspace ({existing.get_role_display()})."}
        )
    return membership_set(workspace=workspace, user=user, role=role, actor=actor)


def user_create(*, username: str, password: str, email: str = "", superuser: bool = False):
    """Create a user account (demo data and tests; production users come from the admin)."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"A user named '{username}' already exists."})
    if superuser:
        return User.objects.create_superuser(username=username, password=password, email=email)
    return User.objects.create_user(username=username, password=password, email=email)


@transaction.atomic
def user_password_set(*, user, password: str, actor) -> None:
    """Give `user` a new password; the audit entry records that it changed, never the password."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor, action=AuditEntry.Action.USER_PASSWORD_SET, workspace=None,
        target_type=AuditEntry.TargetType.USER, target_id=user.pk,
        target_label=f"User '{user.get_username()}'",
    )


@transaction.atomic
def member_sign_in_unlock(*, workspace, username: str, actor) -> int:
    """Let a member of `workspace` sign in again before the lock-out ends; return the failures forgotten.

    An Owner unlocks their own Workspace's members by username; addresses are unlocked by administrators.
    """
    membership = Membership.objects.filter(workspace=workspace, user__username=username).select_related("user").first()
    if membership is None:
        raise ValidationError(f"'{username}' is not a member of Workspace '{workspace.name}'.")
    count = sign_in_unlock(username=username)
    audit_record(
        actor=actor, action=AuditEntry.Action.USER_SIGN_IN_UNLOCK, workspace=workspace, target_type=AuditEntry.TargetType.USER,
        target_id=membership.user_id, target_label=f"User '{username}'", extra={"failures_forgotten": count},
    )
    return count
