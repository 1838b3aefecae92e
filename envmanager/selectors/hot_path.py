"""The read API's hot path: the two reads written out as SQL, because building their ORM queries
costs more than running them.

Each has an ORM twin that states the same read in the ORM, and a test that holds the two equal;
change both together.

On PostgreSQL both run as prepared statements: planning the token read's five-table join takes
~250 µs, executing it ~40 µs, and every read-API request (each 304 revalidation, each per-key
lookup) runs one or both. Django leaves prepared statements off for connection poolers that cannot
carry them (PgBouncer in transaction mode before 1.21); `ENVMANAGER_PREPARED_STATEMENTS=0` turns
them off here too.
"""

import functools
import json
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from envmanager.models import ApiToken, ApiTokenReader, Deployment, EnvObject, IdeProject, Link, Workspace
from envmanager.selectors.environment import EffectiveEntry, resolve
from envmanager.targets import Target

_OBJECT_COLUMNS = "o.id, o.kind, o.key, o.is_secret, o.data, o.secrets"
# The rows `deployment_effective_environment(kinds=(kind,), key=key)` reads, as one statement:
# the Deployment's own object, and the Workspace object visible to it (linked and not excluded, or
# linked to all Deployments without a link row of its own).
_DEPLOYMENT_ONE_SQL = f"""
    SELECT {_OBJECT_COLUMNS}, NULL AS link_id, NULL AS link_data, NULL AS link_secrets, 1 AS own
      FROM {{objects}} o
     WHERE o.deployment_id = %s AND o.kind = %s AND o.key = %s
    UNION ALL
    SELECT {_OBJECT_COLUMNS}, l.id, l.override_data, l.override_secrets, 0
      FROM {{objects}} o
      LEFT JOIN {{links}} l ON l.env_object_id = o.id AND l.deployment_id = %s
     WHERE o.workspace_id = %s AND o.deployment_id IS NULL AND o.kind = %s AND o.key = %s
       AND ((l.id IS NOT NULL AND NOT l.excluded) OR (o.linked_to_all AND l.id IS NULL))
"""
_IDE_PROJECT_ONE_SQL = f"""
    SELECT {_OBJECT_COLUMNS},
           l.id AS link_id, l.override_data AS link_data, l.override_secrets AS link_secrets, 0 AS own
      FROM {{objects}} o
      JOIN {{links}} l ON l.env_object_id = o.id AND l.ide_project_id = %s
     WHERE o.workspace_id = %s AND o.deployment_id IS NULL AND o.kind = %s AND o.key = %s AND NOT l.excluded
"""
_ROW_KEYS = ("id", "kind", "key", "is_secret", "data", "secrets", "link_id", "link_data", "link_secrets")


def _cursor():
    """A cursor for one hot-path read: prepared once per connection on PostgreSQL (see the module's docstring).

    Wrapped as Django wraps its own cursors, so database errors are Django's and the query is
    counted and logged like any other.
    """
    if connection.vendor != "postgresql" or not settings.ENVMANAGER_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off (None); a huge threshold turns it back on for the explicit
        # `prepare=True` below only: Django's own cursors bind on the client and never prepare.
        raw.prepare_threshold = 2**31 - 1
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
    return wrapper(_prepared_cursor_class()(raw), connection)


@functools.cache
def _prepared_cursor_class():
    # Imported on first use: the PostgreSQL backend module needs psycopg, which an SQLite install never loads.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        """Server-side binding, each statement prepared on its first run on the connection (psycopg
        keeps the prepared statements and forgets them after a rollback or a schema change)."""

        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

    return PreparedCursor


def _json(value) -> dict:
    # JSON columns arrive as text from both backends here (Django reads jsonb as text too).
    if value is None or isinstance(value, dict):
        return value
    return json.loads(value)


def target_effective_entry(
    *, kind: str, key: str, target: Target | Deployment | IdeProject | None = None
) -> EffectiveEntry | None:
    """Return the effective value of one (type, key) of a Deployment or IDE project, or None.

    The read API's hot path: every Airflow lookup that misses the backend's cache lands here.
    Building the equivalent ORM queries costs several times running them, so this is one written-out
    statement; the merge of overrides is the ORM selector's own `environment.resolve`.

    ORM twin: `environment.deployment_effective_environment` / `ide_project_effective_environment`
    with `kinds=(kind,), key=key`; tests/api/test_single_lookup.py holds the two equal over every way
    an object can reach (or not reach) a target.
    """
    target = Target.of(target)
    deployment, ide_project = target.deployment, target.ide_project
    tables = {"objects": EnvObject._meta.db_table, "links": Link._meta.db_table}
    if deployment is not None:
        sql = _DEPLOYMENT_ONE_SQL.format(**tables)
        params = [deployment.pk, kind, key, deployment.pk, deployment.workspace_id, kind, key]
    else:
        sql = _IDE_PROJECT_ONE_SQL.format(**tables)
        params = [ide_project.pk, ide_project.workspace_id, kind, key]
    with _cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    workspace_rows, own_rows = [], []
    for row in rows:
        values = dict(zip(_ROW_KEYS, row, strict=False))
        values["is_secret"] = bool(values["is_secret"])
        for column in ("data", "secrets", "link_data", "link_secrets"):
            values[column] = _json(values[column])
        (own_rows if row[-1] else workspace_rows).append(values)
    entries = resolve(workspace_rows, own_rows)
    return entries[0] if entries else None


_TOKEN_SQL = """
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


def active_token_by_hash(token_hash: str, *, reader: str = "") -> ApiToken | None:
    """Return the active token with this hash, with its Workspace and target, or None.

    The same row carries the Workspace's `environment_version` (read before anything else the request
    reads, so an ETag made of it never claims newer data than the body holds) and, when `reader`
    names one, what that reader last confirmed (`api_token.reader_row`: (version, seen_at) or None).

    Every read-API request starts here, so it is one written-out query read with a plain cursor:
    building the ORM query with its joins, or a raw queryset, costs more than running it. The
    returned token and its Workspace, Deployment or IDE project carry only ids, names and
    `last_used_at`: enough for the read API, and never saved.

    ORM twin: `ApiToken.objects.select_related("workspace", "deployment", "ide_project")
    .filter(token_hash=token_hash, revoked_at__isnull=True).first()`;
    tests/api/test_hot_path.py holds the two equal (active, revoked, unknown; Deployment and IDE project).
    """
    sql = _TOKEN_SQL.format(
        tokens=ApiToken._meta.db_table, workspaces=Workspace._meta.db_table,
        deployments=Deployment._meta.db_table, ide_projects=IdeProject._meta.db_table,
        readers=ApiTokenReader._meta.db_table,
    )
    with _cursor() as cursor:
        cursor.execute(sql, [reader, token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, workspace_id, deployment_id, ide_project_id, name, prefix, last_used_at, *names = row
    environment_version, reader_version, reader_seen_at, workspace_name, deployment_name, ide_project_name = names
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
    return api_token
