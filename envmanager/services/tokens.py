"""API tokens for the read API: create (shown once), revoke, and authenticate a request.

A token is `emt_` followed by 43 url-safe characters (256 random bits). Only its SHA-256 hash is
kept; the plain token exists in the response to the one request (or command) that created it.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from envmanager.models import ApiToken, AuditEntry, Deployment, IdeProject
from envmanager.models.tokens import TOKEN_NAME_MAX_LENGTH
from envmanager.selectors.hot_path import active_token_by_hash
from envmanager.services.audit import audit_record
from envmanager.services.names import clean_name
from envmanager.targets import Target

TOKEN_PREFIX = "emt_"
RANDOM_LENGTH = 43  # token_urlsafe(32) is 43 characters


def token_shape(prefix: str) -> re.Pattern:
    """The shape of a token with `prefix`: the prefix, then url-safe base64 of 256 random bits."""
    return re.compile(rf"{prefix}[A-Za-z0-9_-]{{{RANDOM_LENGTH}}}")


TOKEN_LENGTH = len(TOKEN_PREFIX) + RANDOM_LENGTH
TOKEN_SHAPE = token_shape(TOKEN_PREFIX)
# last_used_at is a hint for people ("is this token still in use?"), not an access log: writing it
# on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the row (an `ApiToken` or a `PersonalAccessToken`), and the plain token to show
    exactly once."""

    api_token: ApiToken
    plain: str

    def __repr__(self):  # keep the plain token out of tracebacks and debug output
        return f"IssuedToken({self.api_token!r})"


@sensitive_variables("plain")
def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


@sensitive_variables("plain")
def new_token(prefix: str) -> tuple[str, str, str]:
    """Return a new token: (plain value, the prefix shown in lists, its hash to store)."""
    plain = prefix + secrets.token_urlsafe(32)
    return plain, plain[:len(prefix) + 6], token_hash(plain)


def _token_label(name: str, target: Target) -> str:
    return f"API token '{name}' ({target.label})"


def _duplicate_name(name: str, target: Target) -> ValidationError:
    return ValidationError({"name": f"{target.label} already has an active API token named '{name}'."})


@sensitive_variables("plain")
@transaction.atomic
def api_token_create(*, actor, name: str, target: Target | Deployment | IdeProject | None = None) -> IssuedToken:
    """Create a token for one Deployment or one IDE project; return it with its plain value."""
    target = Target.of(target)
    name = clean_name(name, what="token", max_length=TOKEN_NAME_MAX_LENGTH, example="the Airflow Deployment that uses it")
    if ApiToken.objects.filter(revoked_at__isnull=True, name=name, **target.row_filter).exists():
        raise _duplicate_name(name, target)
    plain, shown_prefix, hashed = new_token(TOKEN_PREFIX)
    api_token = ApiToken(
        workspace_id=target.workspace_id, **target.row_filter, name=name,
        prefix=shown_prefix, token_hash=hashed,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            api_token.save()
    except IntegrityError:  # the same name was taken between the check and the insert
        raise _duplicate_name(name, target) from None
    # The audit entry names the token; neither the token nor its hash is recorded.
    audit_record(
        actor=actor, action=AuditEntry.Action.API_TOKEN_CREATE, workspace=target.workspace,
        target_type=AuditEntry.TargetType.API_TOKEN,
        target_id=api_token.pk, target_label=_token_label(name, target),
        after={"name": name, "target": target.label},
    )
    return IssuedToken(api_token=api_token, plain=plain)


@transaction.atomic
def api_token_revoke(*, api_token: ApiToken, actor) -> ApiToken:
    """Revoke a token: from the next request on, it is refused (401)."""
    # A conditional write, so two people revoking at once record one revocation (SQLite too).
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=api_token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor if actor is not None and actor.is_authenticated else None
    )
    api_token = ApiToken.objects.select_related("workspace", "deployment", "ide_project").get(pk=api_token.pk)
    label = _token_label(api_token.name, Target.of_row(api_token))
    if not revoked:
        raise ValidationError(f"{label} was already revoked.")
    audit_record(
        actor=actor, action=AuditEntry.Action.API_TOKEN_REVOKE, workspace=api_token.workspace,
        target_type=AuditEntry.TargetType.API_TOKEN,
        target_id=api_token.pk, target_label=label,
        before={"name": api_token.name, "revoked": False}, after={"name": api_token.name, "revoked": True},
    )
    return api_token


@sensitive_variables("plain")
def api_token_authenticate(*, plain: str, reader: str = "") -> ApiToken | None:
    """Return the active token whose value is `plain`, with its Workspace and target, or None.

    Every read-API request starts here: one statement (`hot_path.active_token_by_hash`, which also
    reads the Workspace's environment version and what `reader` last confirmed) and, at most once a
    minute per token, a conditional UPDATE of `last_used_at`.
    """
    if not plain or not TOKEN_SHAPE.fullmatch(plain):
        return None  # not even shaped like a token: no query
    api_token = active_token_by_hash(token_hash(plain), reader=reader)
    if api_token is None:
        return None
    api_token_mark_used(api_token=api_token)
    return api_token


def api_token_mark_used(*, api_token, now=None) -> bool:
    """Record that the token (an `ApiToken` or a `PersonalAccessToken`) was used, unless that was
    recorded less than a minute ago.

    The condition is in the UPDATE, so concurrent requests on several workers write once.
    Returns whether a write happened.
    """
    now = now or timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if api_token.last_used_at is not None and api_token.last_used_at > cutoff:
        return False
    written = type(api_token)._default_manager.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff), pk=api_token.pk
    ).update(last_used_at=now)
    if written:
        api_token.last_used_at = now
    return bool(written)
