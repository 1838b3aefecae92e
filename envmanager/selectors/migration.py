"""What *Migrate from Airflow* would do for one Deployment and one type: the plan, row by row."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.template.defaultfilters import pluralize

from envmanager.airflow_db.confinement import ALREADY_CLAIMED
from envmanager.airflow_db.database import (
    MetadataDatabase,
    MetadataDatabaseError,
    open_metadata_database,
)
from envmanager.airflow_db.objects import TABLES, AirflowObject, read_airflow_objects
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import Deployment, EnvObject, MigrationRun
from envmanager.selectors.env_objects import differing_fields

MIGRATABLE_KINDS = (Kind.CONNECTION, Kind.VARIABLE)


class MigrationStatus:
    NEW = "new"  # a Workspace object will be created and linked to this Deployment
    EXISTS = "exists"  # a Workspace object with that key exists: an override is added on it
    CANNOT = "cannot"  # listed with its reason; cannot be selected


@dataclass
class PlanItem:
    source: AirflowObject
    status: str
    reason: str | None = None
    existing: EnvObject | None = field(default=None, repr=False)
    differing_fields: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.source.key

    @property
    def source_id(self) -> int:
        return self.source.source_id

    @property
    def selectable(self) -> bool:
        return self.status != MigrationStatus.CANNOT

    @property
    def will_be_secret(self) -> bool:
        """A variable Airflow masks (its key holds a sensitive word) becomes a secret (write-only) variable."""
        return self.source.kind == Kind.VARIABLE and self.source.is_secret

    def preview(self) -> list[tuple[str, object]]:
        """The row's non-secret values that are set, as (field label, value), for the plan page; never a secret."""
        spec = KIND_SPECS[self.source.kind]
        return [
            (field_spec.label, self.source.fields[field_spec.name]) for field_spec in spec.fields
            if not spec.is_secret(field_spec.name, is_secret_flag=self.source.is_secret)
            and self.source.fields.get(field_spec.name) not in (None, "")
        ]


@dataclass
class MigrationPlan:
    deployment: Deployment
    kind: Kind
    items: list[PlanItem]

    def sorted_items(self) -> list[PlanItem]:
        """The rows by status (new, exists, cannot), then key: what the plan page lists."""
        order = {MigrationStatus.NEW: 0, MigrationStatus.EXISTS: 1, MigrationStatus.CANNOT: 2}
        return sorted(self.items, key=lambda item: (order[item.status], item.key))

    def counts(self) -> dict[str, int]:
        counts = {MigrationStatus.NEW: 0, MigrationStatus.EXISTS: 0, MigrationStatus.CANNOT: 0}
        for item in self.items:
            counts[item.status] += 1
        return counts


class MigrationNotPossible(Exception):
    """The Deployment cannot be migrated from at all (remote execution, no database configured, ...)."""


def migration_unavailable_reason(deployment: Deployment) -> str | None:
    """Return why *Migrate from Airflow* cannot be used on this Deployment, or None if it can."""
    if deployment.is_remote_execution:
        return "Remote execution Deployments are not supported: their metadata database is not reachable from here."
    if not deployment.has_metadata_db_url:
        return "This Deployment has no Airflow metadata database URL configured."
    return None


def check_database_identity(deployment: Deployment, identity: str) -> None:
    """Refuse a database that is not the one the Deployment claimed when its URL was set."""
    if deployment.metadata_db_identity == identity:
        return
    if deployment.metadata_db_identity is not None:
        raise MetadataDatabaseError(
            "The metadata database URL now reaches another database than the one it reached when it was set "
            "(replaced or restored?); an Owner must set the URL again."
        )
    # Set before envmanager recorded identities: usable while no other Deployment claims that database.
    if Deployment.objects.filter(metadata_db_identity=identity).exclude(pk=deployment.pk).exists():
        raise MetadataDatabaseError(ALREADY_CLAIMED)


@contextmanager
def open_deployment_database(deployment: Deployment, *, read_only: bool):
    """Open the Deployment's own metadata database; MigrationNotPossible if it has none usable.

    Confined (`airflow_db.confinement`), checked to be Airflow's, and checked to be the database this
    Deployment claimed, before the caller reads a single row.
    """
    if reason := migration_unavailable_reason(deployment):
        raise MigrationNotPossible(reason)
    with open_metadata_database(deployment.reveal_metadata_db_url(), read_only=read_only) as database:
        check_database_identity(deployment, database.identity())
        yield database


def plan_items(
    *, deployment: Deployment, kind: Kind, sources: list[AirflowObject]
) -> list[PlanItem]:
    """Decide each source object's status against envmanager's current objects (two queries)."""
    workspace_objects = {
        o.key: o
        for o in EnvObject.objects.filter(workspace_id=deployment.workspace_id, deployment__isnull=True, kind=kind)
    }
    own_keys = set(EnvObject.objects.filter(deployment=deployment, kind=kind).values_list("key", flat=True))
    items = []
    for source in sources:
        if source.problem:
            items.append(PlanItem(source, MigrationStatus.CANNOT, source.problem))
        elif source.key in own_keys:
            items.append(PlanItem(
                source, MigrationStatus.CANNOT,
                f"Deployment '{deployment.name}' already has its own {kind.label.lower()} '{source.key}' in "
                "envmanager; delete or promote it first.",
            ))
        elif (existing := workspace_objects.get(source.key)) is not None:
            items.append(PlanItem(
                source, MigrationStatus.EXISTS, existing=existing,
                differing_fields=differing_fields(existing, source.fields),
            ))
        else:
            items.append(PlanItem(source, MigrationStatus.NEW))
    return items


def airflow_migration_plan(*, deployment: Deployment, kind: Kind | str) -> MigrationPlan:
    """Read the Deployment's metadata database and return the plan for every object of `kind`.

    Raises MigrationNotPossible or MetadataDatabaseError with a message fit to show.
    """
    kind = Kind(kind)
    if kind not in MIGRATABLE_KINDS:
        raise MigrationNotPossible("Only connections and Airflow variables can be migrated from Airflow.")
    with open_deployment_database(deployment, read_only=True) as database:
        _, sources = read_airflow_objects(database, kind, deployment.reveal_fernet_keys())
    return MigrationPlan(deployment, kind, plan_items(deployment=deployment, kind=kind, sources=sources))


def airflow_object_counts(*, deployment: Deployment) -> dict[str, int | str]:
    """Return {kind: number of rows} in the metadata database, or {"error": message} if it cannot be read.

    Used to dim the *Migrate from Airflow* action when there is nothing to migrate.
    """
    try:
        with open_deployment_database(deployment, read_only=True) as database:
            return {kind: _count(database, kind) for kind in MIGRATABLE_KINDS}
    except (MigrationNotPossible, MetadataDatabaseError) as exc:
        return {"error": str(exc)}


@dataclass(frozen=True)
class DatabaseCheck:
    """The answer of *Test connection*: what was found, or why nothing could be read, in words."""

    ok: bool
    message: str


def metadata_database_check(*, deployment: Deployment, url: str | None = None) -> DatabaseCheck:
    """Open `url` (or, without one, the Deployment's stored URL) read-only, as *Migrate from Airflow* would,
    and say what it holds: "Airflow 3.0.2 schema (PostgreSQL), 37 connections, 37 variables".

    The same borders as storing and migrating (`open_metadata_database`: confinement, Airflow's tables,
    not envmanager's own database; a stored URL must still reach the database it claimed, a new one one
    no other Deployment claims). Nothing is written; an error is its message, never a traceback or the URL.
    """
    try:
        if url:
            with open_metadata_database(url, read_only=True) as database:
                if Deployment.objects.filter(metadata_db_identity=database.identity()).exclude(pk=deployment.pk).exists():
                    raise MetadataDatabaseError(ALREADY_CLAIMED)
                return DatabaseCheck(True, _found(database))
        with open_deployment_database(deployment, read_only=True) as database:
            return DatabaseCheck(True, _found(database))
    except (MigrationNotPossible, MetadataDatabaseError) as exc:
        return DatabaseCheck(False, _without(str(exc), url or (deployment.reveal_metadata_db_url() or "")))


def _found(database: MetadataDatabase) -> str:
    engine = "SQLite" if database.engine == "sqlite" else "PostgreSQL"
    version = database.airflow_version()  # the release whose migration wrote the schema's revision
    connections, variables = (_count(database, kind) for kind in MIGRATABLE_KINDS)
    return (
        f"Connected: Airflow {version.split('.')[0]}.x ({engine}, schema of Airflow {version} or later), "
        f"{connections} connection{pluralize(connections)}, {variables} variable{pluralize(variables)}."
    )


def _without(message: str, url: str) -> str:
    """Keep a URL's password out of a driver's message (drivers do not echo it; this makes sure)."""
    password = urlsplit(url).password if "://" in url else None
    return message.replace(password, "****") if password else message


def _count(database: MetadataDatabase, kind: Kind) -> int:
    database.layout(TABLES[kind])  # refuse an unknown layout before counting
    return database.count_rows(TABLES[kind])


def migration_runs(*, deployment: Deployment) -> list[MigrationRun]:
    """The Deployment's migration runs, newest first, each with `snapshot_count` (one query)."""
    return list(MigrationRun.objects.filter(deployment=deployment).annotate(snapshot_count=Count("snapshots")))


def migration_run_get(*, deployment: Deployment, run_id) -> MigrationRun:
    """Return the Deployment's run number `run_id`; ValidationError naming the command that lists them."""
    run = MigrationRun.objects.filter(deployment=deployment, pk=run_id).first() if str(run_id).isdigit() else None
    if run is None:
        raise ValidationError(
            f"Deployment '{deployment.name}' has no migration run {run_id}; `migration_runs --deployment "
            f"{deployment.name}` lists them."
        )
    return run


def run_state_label(run: MigrationRun) -> str:
    """The run's state in words, with *Copy only* and whether it was restored."""
    words = [run.get_state_display().lower()]
    if run.keep_source:
        words.append("copy only")
    if run.restored_at:
        words.append(f"restored {run.restored_at:%Y-%m-%d %H:%M}")
    return ", ".join(words)
