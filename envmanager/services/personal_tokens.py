"""Personal access tokens for the management API: create (shown once), revoke, authenticate a request.

A token is `emp_` followed by 43 url-safe characters; hashing, the shape check and the last-used
write are the read API tokens' own (`services/tokens.py`). A token acts as its user with the roles
the user holds at the moment of each request: nothing about roles is stored on it.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from envmanager.models import AuditEntry, PersonalAccessToken
from envmanager.models.tokens import TOKEN_NAME_MAX_LENGTH
from envmanager.services.audit import audit_record
from envmanager.services.names import clean_name
from envmanager.services.tokens import (
    IssuedToken,
    api_token_mark_used,
    new_token,
    token_hash,
    token_shape,
)

PAT_PREFIX = "emp_"
PAT_SHAPE = token_shape(PAT_PREFIX)
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 366


def _duplicate_name(name: str) -> ValidationError:
    return ValidationError({"name": f"You already have an active personal access token named '{name}'."})


def _expiry_days(expires_days) -> int:
    if isinstance(expires_days, bool) or not isinstance(expires_days, int):
        raise ValidationError({"expires_days": "The expiry is a whole number of days."})
    if not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise ValidationError({"expires_days": f"A token expires after 1 to {MAX_EXPIRY_DAYS} days."})
    return expires_days


@sensitive_variables("plain")
@transaction.atomic
def personal_token_create(*, user, name: str, expires_days: int = DEFAULT_EXPIRY_DAYS, now=None) -> IssuedToken:
    """Create a token for `user`; return it with its plain value."""
    name = clean_name(name, what="token", max_length=TOKEN_NAME_MAX_LENGTH, example="the CI pipeline that uses it")
    days = _expiry_days(expires_days)
    if PersonalAccessToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise _duplicate_name(name)
    plain, shown_prefix, hashed = new_token(PAT_PREFIX)
    token = PersonalAccessToken(
        user=user, name=name, prefix=shown_prefix, token_hash=hashed,
        expires_at=(now or timezone.now()) + timedelta(days=days),
    )
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:  # the same name was taken between the check and the insert
        raise _duplicate_name(name) from None
    audit_record(
        actor=user, action=AuditEntry.Action.PERSONAL_TOKEN_CREATE, workspace=None,
        target_type=AuditEntry.TargetType.PERSONAL_TOKEN, target_id=token.pk, target_label=token.label,
        after={"name": name, "expires_at": token.expires_at.isoformat()},
    )
    return IssuedToken(api_token=token, plain=plain)


@transaction.atomic
def personal_token_revoke(*, token: PersonalAccessToken, actor) -> PersonalAccessToken:
    """Revoke a token: from the next request on, it is refused (401)."""
    revoked = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = PersonalAccessToken.objects.get(pk=token.pk)
    if not revoked:
        raise ValidationError(f"The {token.label} was already revoked.")
    audit_record(
        actor=actor, action=AuditEntry.Action.PERSONAL_TOKEN_REVOKE, workspace=None,
        target_type=AuditEntry.TargetType.PERSONAL_TOKEN, target_id=token.pk, target_label=token.label,
        before={"name": token.name, "revoked": False}, after={"name": token.name, "revoked": True},
    )
    return token


@sensitive_variables("plain")
def personal_token_authenticate(*, plain: str, now=None) -> PersonalAccessToken | None:
    """Return the active, unexpired token whose value is `plain`, with its (active) user, or None."""
    if not plain or not PAT_SHAPE.fullmatch(plain):
        return None  # not shaped like a personal access token (a read-API `emt_` token included): no query
    now = now or timezone.now()
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_hash=token_hash(plain), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is not None:
        api_token_mark_used(api_token=token, now=now)
    return token
