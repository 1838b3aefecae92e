"""API tokens for the read API: create (shown once), revoke, and authenticate a request.

A token is `emt_` followed by 43 url-safe characters (256 random bits). Only its SHA-256 hash is
kept; the plain token exists in the response to the one request (or command) that created it.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from envmanager.models import ApiToken, ApiTokenReader, Deployment, IdeProject, Workspace
from envmanager.models.tokens import TOKEN_NAME_MAX_LENGTH
from envmanager.services.audit import audit_record

TOKEN_PREFIX = "emt_"
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # token_urlsafe(32) is 43 characters
TOKEN_SHAPE = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{{TOKEN_LENGTH - len(TOKEN_PREFIX)}}}")  # url-safe base64
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# last_used_at is a hint for people ("is this token still in use?"), not an access log: writing it
# on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the row, and the plain token to show exactly once."""

    api_token: ApiToken
    plain: str

    def __repr__(self):  # keep the plain token out of tracebacks and debug output
        return f"IssuedToken({self.api_token!r})"


@sensitive_variables("plain")
def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _clean_token_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "The API token needs a name, e.g. the Airflow Deployment that uses it."})
    if len(name) > TOKEN_NAME_MAX_LENGTH:
        raise ValidationError({"name": f"The API token name is longer than {TOKEN_NAME_MAX_LENGTH} characters."})
    return name


def _target_label(deployment: Deployment | None, ide_project: IdeProject | None) -> str:
    return f"Deployment '{deployment.name}'" if deployment else f"IDE project '{ide_project.name}'"


def _token_label(name: str, deployment: Deployment | None, ide_project: IdeProject | None) -> str:
    return f"API token '{name}' ({_target_label(deployment, ide_project)})"


def _duplicate_name(name: str, deployment, ide_project) -> ValidationError:
    return ValidationError(
        {"name": f"{_target_label(deployment, ide_project)} already has an active API token named '{name}'."}
    )


@sensitive_variables("plain")
@transaction.atomic
def api_token_create(
    *, actor, name: str, deployment: Deployment | None = None, ide_project: IdeProject | None = None
) -> IssuedToken:
    """Create a token for one Deployment or one IDE project; return it with its plain value."""
    if (deployment is None) == (ide_project is None):
        raise ValidationError("Name exactly one Deployment or one IDE project for the API token.")
    name = _clean_token_name(name)
    target = deployment or ide_project
    active = ApiToken.objects.filter(revoked_at__isnull=True, name=name)
    active = active.filter(deployment=deployment) if deployment else active.filter(ide_project=ide_project)
    if active.exists():
        raise _duplicate_name(name, deployment, ide_project)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(
        workspace_id=target.workspace_id, deployment=deployment, ide_project=ide_project, name=name,
        prefix=plain[:SHOWN_PREFIX_LENGTH], token_hash=token_hash(plain),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            api_token.save()
    except IntegrityError:  # the same name was taken between the check and the insert
        raise _duplicate_name(name, deployment, ide_project) from None
    # The audit entry names the token; neither the token nor its hash is recorded.
    audit_record(
        actor=actor, action="api_token.create", workspace=target.workspace, target_type="api_token",
        target_id=api_token.pk, target_label=_token_label(name, deployment, ide_project),
        after={"name": name, "target": _target_label(deployment, ide_project)},
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
    label = _token_label(api_token.name, api_token.deployment, api_token.ide_project)
    if not revoked:
        raise ValidationError(f"{label} was already revoked.")
    audit_record(
        actor=actor, action="api_token.revoke", workspace=api_token.workspace, target_type="api_token",
        target_id=api_token.pk, target_label=label,
        before={"name": api_token.name, "revoked": False}, after={"name": api_token.name, "revoked": True},
    )
    return api_token


_AUTHENTICATE_SQL = """
    SELECT t.id, t.workspace_id, t.deployment_id, t.ide_project_id, t.name, t.prefix, t.last_used_at,
           w.environment_version, r.version, r.seen_at, w.name, d.name, p.name
      FROM {tokens} t
      JOIN {workspaces} w ON w.id = t.workspace_id
      LEFT JOIN {deployments} d ON d.id = t.deployment_id
      LEFT JOIN {ide_projects} p ON p.id = t.ide_project_id
      LEFT JOIN {readers} r ON r.token_id = t.id AND r.reader = %s
     WHERE t.token_hash = %s AND t.revoked_at IS NULL
"""


def _db_datetime(value):
    """Return a timestamp read by a plain cursor as an aware datetime.

    PostgreSQL hands back an aware datetime; SQLite a naive one (or text), stored in UTC.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


@sensitive_variables("plain")
def api_token_authenticate(*, plain: str, reader: str = "") -> ApiToken | None:
    """Return the active token whose value is `plain`, with its Workspace and target, or None.

    The same row carries the Workspace's `environment_version` (read before anything else the request
    reads, so an ETag made of it never claims newer data than the body holds) and, when `reader`
    names one, what that reader last confirmed (`api_token.reader_row`: (version, seen_at) or None).

    Every read-API request starts here, so it is one written-out query read with a plain cursor:
    building the ORM query with its joins, or a raw queryset, costs more than running it. The
    returned token and its Workspace, Deployment or IDE project carry only ids, names and
    `last_used_at`: enough for the read API, and never saved.
    Plus, at most once a minute per token, a conditional UPDATE of `last_used_at`.
    """
    if not plain or not TOKEN_SHAPE.fullmatch(plain):
        return None  # not even shaped like a token: no query
    sql = _AUTHENTICATE_SQL.format(
        tokens=ApiToken._meta.db_table, workspaces=Workspace._meta.db_table,
        deployments=Deployment._meta.db_table, ide_projects=IdeProject._meta.db_table,
        readers=ApiTokenReader._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [reader, token_hash(plain)])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, workspace_id, deployment_id, ide_project_id, name, prefix, last_used_at, *rest = row
    environment_version, reader_version, reader_seen_at, workspace_name, deployment_name, ide_project_name = rest
    api_token = ApiToken(
        id=token_id, workspace_id=workspace_id, deployment_id=deployment_id, ide_project_id=ide_project_id,
        name=name, prefix=prefix, last_used_at=_db_datetime(last_used_at),
    )
    api_token.workspace = Workspace(id=workspace_id, name=workspace_name, environment_version=environment_version)
    api_token.reader_row = None if reader_version is None else (reader_version, _db_datetime(reader_seen_at))
    if deployment_id is not None:
        api_token.deployment = Deployment(id=deployment_id, workspace_id=workspace_id, name=deployment_name)
    else:
        api_token.ide_project = IdeProject(id=ide_project_id, workspace_id=workspace_id, name=ide_project_name)
    api_token_mark_used(api_token=api_token)
    return api_token


def api_token_mark_used(*, api_token: ApiToken, now=None) -> bool:
    """Record that the token was used, unless that was recorded less than a minute ago.

    The condition is in the UPDATE, so concurrent requests on several workers write once.
    Returns whether a write happened.
    """
    now = now or timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if api_token.last_used_at is not None and api_token.last_used_at > cutoff:
        return False
    written = ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff), pk=api_token.pk
    ).update(last_used_at=now)
    if written:
        api_token.last_used_at = now
    return bool(written)


def api_token_list(*, deployment: Deployment | None = None, ide_project: IdeProject | None = None):
    """Return the tokens of one Deployment or IDE project, active first, newest first (a read)."""
    tokens = ApiToken.objects.select_related("created_by", "revoked_by")
    tokens = tokens.filter(deployment=deployment) if deployment else tokens.filter(ide_project=ide_project)
    return tokens.order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")


def api_token_get(
    *, name: str, deployment: Deployment | None = None, ide_project: IdeProject | None = None
) -> ApiToken:
    """Return the active token called `name` of a Deployment or IDE project; ValidationError if none."""
    tokens = api_token_list(deployment=deployment, ide_project=ide_project).filter(revoked_at__isnull=True)
    api_token = tokens.filter(name=name).first()
    if api_token is None:
        known = ", ".join(f"'{n}'" for n in tokens.values_list("name", flat=True)[:20]) or "none"
        raise ValidationError(
            f"{_target_label(deployment, ide_project)} has no active API token named '{name}'. Active tokens: {known}."
        )
    return api_token
