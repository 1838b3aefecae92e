"""*Migrate from Airflow*: move connections and variables out of a Deployment's metadata database.

Nothing is lost and nothing doubles, whatever happens in between:
- the plan is recomputed from the metadata database at apply time (the page's copy is not trusted);
- a batch of copies is committed in envmanager first, and only then are the batch's source rows deleted,
  each with a DELETE that matches every column as it was read, so a row edited in Airflow meanwhile survives
  and is reported;
- copies are upserts on the unique (Workspace, type, key) and (object, Deployment) keys, so a run interrupted
  anywhere can be run again and converges;
- one unfinished `MigrationRun` per Deployment, enforced by a unique constraint, keeps two people from
  migrating the same Deployment at once; the run holds the Deployment's migration lock, which belongs to
  its live process (a PostgreSQL session advisory lock, or an OS file lock on SQLite), so a run whose
  process died is taken over at once by the next;
- source rows are deleted only once every snapshot reader of the Deployment seen recently (a secrets
  backend in snapshot mode, an agent: `services/readers.py`) has fetched an environment holding the
  copies, or the grace period `ENVMANAGER_MIGRATION_READER_GRACE_SECONDS` has passed; a process that died
  while waiting leaves rows in both places, and the re-run finds the copies and goes on to delete;
- one Deployment per metadata database (`Deployment.metadata_db_identity` is unique), so no two
  Deployments' runs can ever delete from the same database.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from envmanager.airflow_db.confinement import ALREADY_CLAIMED
from envmanager.airflow_db.database import MetadataDatabaseError
from envmanager.airflow_db.objects import read_airflow_objects
from envmanager.kinds import Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, Link, MigrationRun
from envmanager.selectors.migration import (
    MIGRATABLE_KINDS,
    MigrationNotPossible,
    MigrationStatus,
    PlanItem,
    open_deployment_database,
    plan_items,
)
from envmanager.services.audit import (
    actor_label,
    audit_entry,
    audit_record,
    audit_records_bulk,
    env_object_label,
    env_object_snapshot,
)
from envmanager.services.env_objects import apply_field_values
from envmanager.services.environment_versions import environment_version
from envmanager.services.migration_lock import (  # noqa: F401 (deployment_migration_lock: imported from here)
    MigrationInProgress,
    deployment_migration_lock,
    in_progress,
)
from envmanager.services.migration_snapshots import link_state, snapshot_for_link, snapshot_for_object, snapshots_save
from envmanager.services.overrides import link_showing_values
from envmanager.services.readers import readers_wait
from envmanager.services.versions import Change, versions_record_created

BATCH_SIZE = 200

ProgressCallback = Callable[[str, str | None], None]


@dataclass
class MigrationResult:
    run: MigrationRun
    migrated: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    # The delete phase's wait for snapshot readers (`readers.WaitOutcome.as_summary`), or None.
    reader_wait: dict | None = None

    def forget(self, key: str) -> None:
        """Take `key` off the migrated / overridden lists (its source row could not be removed)."""
        self.migrated = [k for k in self.migrated if k != key]
        self.overridden = [k for k in self.overridden if k != key]

    def as_summary(self) -> dict:
        return {
            "migrated": self.migrated,
            "overridden": self.overridden,
            "skipped": [list(pair) for pair in self.skipped],
            "failed": [list(pair) for pair in self.failed],
            "reader_wait": self.reader_wait,
        }

    @classmethod
    def from_run(cls, run: MigrationRun) -> "MigrationResult":
        summary = run.summary or {}
        return cls(
            run=run,
            migrated=summary.get("migrated", []),
            overridden=summary.get("overridden", []),
            skipped=[tuple(pair) for pair in summary.get("skipped", [])],
            failed=[tuple(pair) for pair in summary.get("failed", [])],
            reader_wait=summary.get("reader_wait"),
        )


@dataclass(frozen=True)
class ReaderWaitOptions:
    """The clock and the sleep of the wait for snapshot readers; tests inject fakes."""

    now: Callable[[], datetime] = timezone.now
    sleep: Callable[[float], None] = time.sleep


def _earlier_run(deployment: Deployment, request_key: str | None) -> MigrationRun | None:
    """Return the run a repeated request (same confirmation form, same Deployment) already started."""
    if not request_key:
        return None
    return MigrationRun.objects.filter(deployment=deployment, request_key=request_key).first()


def _claim_run(*, deployment: Deployment, kind: Kind, actor, request_key: str | None, keep_source: bool) -> MigrationRun:
    """Start a run; the caller holds the Deployment's migration lock, so an unfinished run is a dead one."""
    MigrationRun.objects.filter(deployment=deployment, finished_at__isnull=True).update(
        state=MigrationRun.State.ABANDONED, finished_at=timezone.now()
    )
    with transaction.atomic():
        return MigrationRun.objects.create(
            deployment=deployment, kind=kind, started_by=actor, started_by_name=actor_label(actor),
            request_key=request_key, keep_source=keep_source,
        )


def _claim_database(deployment: Deployment, identity: str) -> None:
    """Record the identity of a database whose URL was set before envmanager recorded identities."""
    if deployment.metadata_db_identity is not None:
        return
    try:
        with transaction.atomic():
            Deployment.objects.filter(pk=deployment.pk, metadata_db_identity__isnull=True).update(
                metadata_db_identity=identity
            )
    except IntegrityError:  # another Deployment claimed it meanwhile
        raise MetadataDatabaseError(ALREADY_CLAIMED) from None
    deployment.metadata_db_identity = identity


def _new_objects(items: list[PlanItem], *, deployment: Deployment) -> list[EnvObject]:
    """Return unsaved Workspace objects for the items, their secrets sealed for envmanager."""
    objects = []
    for item in items:
        plain, sealed = {}, {}
        apply_field_values(
            kind=item.source.kind, is_secret_flag=item.source.is_secret, plain=plain, sealed=sealed,
            fields=item.source.fields,
        )
        objects.append(EnvObject(
            workspace_id=deployment.workspace_id, kind=item.source.kind, key=item.key,
            is_secret=item.source.is_secret, data=plain, secrets=sealed,
        ))
    return objects


def _create_new(items: list[PlanItem], *, deployment: Deployment, actor) -> list[EnvObject]:
    """Create the items as Workspace objects linked to `deployment`: three statements for the whole batch."""
    objects = EnvObject.objects.bulk_create(_new_objects(items, deployment=deployment))
    Link.objects.bulk_create(Link(env_object=o, deployment=deployment) for o in objects)
    versions_record_created(objects, actor=actor, change=Change.MIGRATED)
    audit_records_bulk([
        audit_entry(
            actor=actor, action=AuditEntry.Action.ENV_OBJECT_MIGRATE, workspace=deployment.workspace,
            target_type=AuditEntry.TargetType.ENV_OBJECT,
            target_id=o.pk, target_label=f"{env_object_label(o)} <- Airflow of '{deployment.name}'",
            after=env_object_snapshot(o), extra={"deployment": deployment.name, "linked": True},
        )
        for o in objects
    ])
    return objects


def _copy_onto(existing: EnvObject, item: PlanItem, *, run: MigrationRun, deployment: Deployment, actor,
               snapshots: list) -> list[str]:
    before = link_state(Link.objects.filter(env_object=existing, deployment=deployment).first())
    link, names = link_showing_values(
        env_object=existing, deployment=deployment, values=item.source.fields, actor=actor, change=Change.MIGRATED
    )
    snapshots.append(snapshot_for_link(run, item, existing, before=before, link=link))
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_MIGRATE, workspace=deployment.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT,
        target_id=existing.pk, target_label=f"{env_object_label(existing)} <- Airflow of '{deployment.name}'",
        after=env_object_snapshot(existing), extra={"deployment": deployment.name, "override_fields": names},
    )
    return names


def _copy_batch(batch: list[PlanItem], *, run: MigrationRun, deployment: Deployment, kind: Kind, actor,
                result: MigrationResult) -> list[PlanItem]:
    """Copy a batch into envmanager in one transaction, with its restore snapshot; return what is now committed."""
    with transaction.atomic():
        keys = [item.key for item in batch]
        existing = {
            o.key: o
            for o in EnvObject.objects.select_for_update(of=("self",)).select_related("workspace").filter(
                workspace_id=deployment.workspace_id, deployment__isnull=True, kind=kind, key__in=keys
            )
        }
        # Checked again under the transaction: someone may have created one since the plan was made.
        own = set(EnvObject.objects.filter(deployment=deployment, kind=kind, key__in=keys).values_list("key", flat=True))
        new_items, existing_items = [], []
        for item in batch:
            if item.key in own:
                result.skipped.append((item.key, f"Deployment '{deployment.name}' now has its own object with this key."))
            else:
                (existing_items if item.key in existing else new_items).append(item)
        snapshots = []
        try:
            with transaction.atomic():
                created = _create_new(new_items, deployment=deployment, actor=actor)
            snapshots += [snapshot_for_object(run, item, o) for item, o in zip(new_items, created, strict=True)]
        except IntegrityError:
            # Someone created one of these keys a moment ago: leave this batch's new rows in Airflow; a
            # re-run sees them as existing Workspace objects and adds overrides instead.
            result.failed.extend(
                (item.key, "Created in envmanager by someone else meanwhile; run the migration again.")
                for item in new_items
            )
            new_items = []
        result.migrated.extend(item.key for item in new_items)
        for item in existing_items:
            names = _copy_onto(existing[item.key], item, run=run, deployment=deployment, actor=actor, snapshots=snapshots)
            (result.overridden if names else result.migrated).append(item.key)
        snapshots_save(snapshots)
        copied = new_items + existing_items
    return copied


def airflow_migration_apply(
    *,
    deployment: Deployment,
    kind: Kind | str,
    source_ids: list[int],
    actor,
    request_key: str | None = None,
    keep_source: bool = False,
    on_progress: ProgressCallback | None = None,
    wait: ReaderWaitOptions | None = None,
) -> MigrationResult:
    """Migrate the selected rows (by their id in the metadata database); return what happened to each.

    `keep_source` (*Copy only*) copies and snapshots without deleting the source rows.

    `on_progress(event, key)` is called with "read", then per object "copied"; then "waiting" (with a
    sentence in place of the key) while the Deployment's snapshot readers fetch the copies; then per
    object "deleting", "deleted". `wait` injects the clock and the sleep of that phase (tests).
    Raises MigrationNotPossible, MigrationInProgress or MetadataDatabaseError before anything changed.
    """
    kind = Kind(kind)
    if kind not in MIGRATABLE_KINDS:
        raise MigrationNotPossible("Only connections and Airflow variables can be migrated from Airflow.")
    if earlier := _earlier_run(deployment, request_key):
        return MigrationResult.from_run(earlier)
    with deployment_migration_lock(deployment) as locked:
        if not locked:
            raise in_progress(deployment)
        if earlier := _earlier_run(deployment, request_key):  # the first request finished just before
            return MigrationResult.from_run(earlier)
        run = _claim_run(deployment=deployment, kind=kind, actor=actor, request_key=request_key, keep_source=keep_source)
        return _migrate(run, deployment=deployment, kind=kind, source_ids=source_ids, actor=actor,
                        progress=on_progress or (lambda event, key: None), wait=wait or ReaderWaitOptions())


def _migrate(run: MigrationRun, *, deployment: Deployment, kind: Kind, source_ids: list[int], actor,
             progress: ProgressCallback, wait: ReaderWaitOptions) -> MigrationResult:
    result = MigrationResult(run=run)
    try:
        with open_deployment_database(deployment, read_only=False) as database:
            _claim_database(deployment, database.identity())
            layout, sources = read_airflow_objects(
                database, kind, deployment.reveal_fernet_keys(), ids=sorted(set(source_ids))
            )
            progress("read", None)
            found = {source.source_id for source in sources}
            for missing in sorted(set(source_ids) - found):
                result.skipped.append((f"#{missing}", "No longer in the Airflow metadata database."))
            items = plan_items(deployment=deployment, kind=kind, sources=sources)
            for item in items:
                if item.status == MigrationStatus.CANNOT:
                    result.skipped.append((item.key, item.reason))
            movable = [item for item in items if item.selectable]
            copied = []
            for start in range(0, len(movable), BATCH_SIZE):
                batch = _copy_batch(movable[start:start + BATCH_SIZE], run=run, deployment=deployment, kind=kind,
                                    actor=actor, result=result)
                for item in batch:
                    progress("copied", item.key)
                copied.extend(batch)
            if run.keep_source:  # Copy only: the source rows stay in Airflow
                copied = []
            if copied:
                result.reader_wait = _wait_for_readers(deployment, progress, wait)
            for start in range(0, len(copied), BATCH_SIZE):
                _delete_batch(copied[start:start + BATCH_SIZE], database=database, layout=layout, result=result,
                              progress=progress)
    except BaseException:
        _finish(run, result, MigrationRun.State.FAILED)
        raise
    _finish(run, result, MigrationRun.State.FINISHED)
    return result


def _wait_for_readers(deployment: Deployment, progress: ProgressCallback, wait: ReaderWaitOptions) -> dict:
    """Wait until the Deployment's snapshot readers hold the copies (or the grace period ends).

    The copies are committed: the Workspace's version read now is at least the one that holds them.
    A process still holding an older snapshot would, once the source rows are gone, find such a key
    neither in envmanager nor in Airflow's metastore.
    """
    version = environment_version(deployment.workspace_id)

    def on_wait(status, seconds_left):
        progress("waiting", (
            f"waiting for {status.behind} of {status.active} reader{'s' if status.active != 1 else ''} to fetch the "
            f"new environment (grace period: {seconds_left:.0f} s left)"
        ))

    outcome = readers_wait(deployment=deployment, version=version, now=wait.now, sleep=wait.sleep, on_wait=on_wait)
    return outcome.as_summary()


def _delete_batch(batch: list[PlanItem], *, database, layout, result: MigrationResult, progress: ProgressCallback):
    """Delete a batch of copied source rows in one metadata-database transaction; each DELETE checks its row."""
    deleted = []
    for item in batch:
        progress("deleting", item.key)
        deleted.append(database.delete_if_unchanged(layout, item.source.raw))
    database.commit()
    for item, was_deleted in zip(batch, deleted, strict=True):
        if not was_deleted and database.row_exists(layout, item.source_id):
            result.forget(item.key)
            result.failed.append((
                item.key,
                "Changed in Airflow after it was read: left in Airflow, and envmanager holds the earlier "
                "value. Run the migration again to move the new value.",
            ))
        progress("deleted", item.key)


def _finish(run: MigrationRun, result: MigrationResult, state: str) -> None:
    run.state, run.finished_at, run.summary = state, timezone.now(), result.as_summary()
    run.save(update_fields=["state", "finished_at", "summary"])
