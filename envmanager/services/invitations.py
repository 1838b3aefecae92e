"""Inviting a new user into a Workspace, and the one-time link with which they set their first password."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from envmanager.models import AuditEntry, Invitation, Membership, Workspace
from envmanager.services.audit import audit_record
from envmanager.services.members import membership_set

INVITATION_VALID_FOR = timedelta(days=7)
# One message for every link that does not work, so the page tells nobody whether an account exists.
INVALID_LINK = (
    "This link does not work: it was used already, it expired, or it is incomplete. "
    "Ask a Workspace Owner for a new invitation."
)


def invitation_token_hash(token: str) -> str:
    """Return what is stored for `token`: the link's token is random, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def member_invite(
    *, workspace: Workspace, username: str, role: str, actor, email: str = "", now: datetime | None = None
) -> tuple[Membership, str]:
    """Create the account `username` (no usable password), make it a member with `role`, and return the
    membership and the token of its one-time set-password link (shown once; only its hash is stored)."""
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "Enter the new user's username."})
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        membership = Membership.objects.filter(workspace=workspace, user=existing).first()
        if membership is not None:
            raise ValidationError(
                {"username": f"'{username}' is already a member of this Workspace ({membership.get_role_display()}); "
                 "no invitation was made."}
            )
        raise ValidationError(
            {"username": f"A user named '{username}' already exists: add them as an existing user instead."}
        )
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=None)
    except IntegrityError:  # the same username invited at the same moment
        raise ValidationError({"username": f"A user named '{username}' already exists."}) from None
    membership = membership_set(workspace=workspace, user=user, role=role, actor=actor)
    token = secrets.token_urlsafe(32)
    now = now or timezone.now()
    Invitation.objects.create(
        workspace=workspace, user=user, token_hash=invitation_token_hash(token), created_by=actor,
        created_at=now, expires_at=now + INVITATION_VALID_FOR,
    )
    audit_record(
        actor=actor, action=AuditEntry.Action.USER_INVITE, workspace=workspace, target_type=AuditEntry.TargetType.USER,
        target_id=user.pk, target_label=f"User '{username}'",
        after={"role": role, "expires_at": (now + INVITATION_VALID_FOR).isoformat()},
    )
    return membership, token


def invitation_for_token(token: str, *, now: datetime | None = None, lock: bool = False) -> Invitation:
    """Return the unused, unexpired invitation of `token`, or raise ValidationError(INVALID_LINK)."""
    rows = Invitation.objects.select_related("user", "workspace")
    if lock:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(token_hash=invitation_token_hash(token)).first()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= (now or timezone.now()):
        raise ValidationError(INVALID_LINK)
    return invitation


@sensitive_variables("token", "password")
@transaction.atomic
def invitation_accept(*, token: str, password: str, now: datetime | None = None):
    """Set the invited user's password through the link and use the link up; return the user.

    The invitation's row is locked, so the same link sent twice at once sets one password.
    """
    invitation = invitation_for_token(token, now=now, lock=True)
    user = invitation.user
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.used_at = now or timezone.now()
    invitation.save(update_fields=["used_at"])
    audit_record(
        actor=user, action=AuditEntry.Action.USER_PASSWORD_SET, workspace=invitation.workspace,
        target_type=AuditEntry.TargetType.USER, target_id=user.pk, target_label=f"User '{user.get_username()}'",
        extra={"via": "invitation"},
    )
    return user
