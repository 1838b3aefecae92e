"""*Restore to Airflow*: undo a migration run from its snapshots (`services/migration_snapshots.py`).

Nothing is lost, whatever happens in between, because each row goes through two steps in this order and
records its progress on its `MigrationSnapshot` (`restore_state`):
1. per batch, write the rows back into the Deployment's metadata database (as read: every column, Airflow's
   ciphertext, the id unless another row took it) and commit there; then mark them `written`. A key that is
   in Airflow again with other values is skipped (`skipped`) and envmanager's copy stays;
2. per batch, in one envmanager transaction with each row's state and audit entry: remove envmanager's copy
   of a row if it is still exactly what the migration made (`restored`), else keep it and say why (`kept`).
A restore killed anywhere is run again: a row found in Airflow exactly as in the snapshot counts as written,
and rows already past a step are not touched again, so the re-run converges. The Deployment's migration lock
keeps a restore and a migration (or two restores) of one Deployment from running at once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from envmanager import crypto
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, Link, MigrationRun, MigrationSnapshot
from envmanager.selectors.migration import open_deployment_database
from envmanager.selectors.migration_restore import (
    EXISTS_AGAIN,
    AirflowStep,
    EnvmanagerStep,
    airflow_step,
    envmanager_step,
    restorable_run,
    restore_layout,
    snapshot_object_id,
)
from envmanager.services.audit import audit_entry, audit_records_bulk, env_object_snapshot
from envmanager.services.migration_lock import MigrationInProgress, deployment_migration_lock
from envmanager.services.migration_snapshots import unseal_copy, unseal_row
from envmanager.services.versions import Change, deleted_links, version_record

BATCH_SIZE = 200
State = MigrationSnapshot.RestoreState
ProgressCallback = Callable[[str, str], None]
NEW_ID = "Written back with a new id: another row took its id meanwhile."
ALREADY_THERE = "Already in Airflow exactly as it was."


@dataclass
class RestoreResult:
    run: MigrationRun
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (key, state, note)

    def count(self, state: str) -> int:
        return sum(1 for _, row_state, _ in self.rows if row_state == state)

    @property
    def complete(self) -> bool:
        return self.run.restored_at is not None

    def sentence(self) -> str:
        return (
            f"Restored {self.count(State.RESTORED)}, restored with envmanager's copy kept {self.count(State.KEPT)}, "
            f"skipped {self.count(State.SKIPPED)}."
        )

    @classmethod
    def from_run(cls, run: MigrationRun) -> "RestoreResult":
        return cls(run, [(s.key, s.restore_state, s.restore_note) for s in run.snapshots.all()])


def migration_restore_apply(*, deployment: Deployment, run: MigrationRun, actor,
                            on_progress: ProgressCallback | None = None) -> RestoreResult:
    """Write the run's rows back into the Deployment's metadata database and remove envmanager's unchanged copies.

    `on_progress(event, key)`: "written" once a row's batch is committed in Airflow, then "removing" and
    "removed" around its envmanager transaction. Raises MigrationNotPossible, MigrationInProgress or
    MetadataDatabaseError before anything changed (or, from the metadata database, part-way: run it again).
    """
    restorable_run(run)
    progress = on_progress or (lambda event, key: None)
    with deployment_migration_lock(deployment) as locked:
        if not locked:
            raise MigrationInProgress(
                f"A migration or restore of Deployment '{deployment.name}' is running. Wait for it to finish, "
                "then run it again."
            )
        with open_deployment_database(deployment, read_only=False) as database:
            layout = restore_layout(database, run)
            pending = list(run.snapshots.filter(restore_state=State.PENDING))
            for start in range(0, len(pending), BATCH_SIZE):
                _write_back(pending[start:start + BATCH_SIZE], database=database, layout=layout,
                            deployment=deployment, run=run, actor=actor, progress=progress)
        written = list(run.snapshots.filter(restore_state=State.WRITTEN).values_list("pk", flat=True))
        for start in range(0, len(written), BATCH_SIZE):
            _remove_copies(written[start:start + BATCH_SIZE], deployment=deployment, run=run, actor=actor,
                           progress=progress)
        if not run.snapshots.filter(restore_state__in=(State.PENDING, State.WRITTEN)).exists():
            run.restored_at = timezone.now()
            run.save(update_fields=["restored_at"])
    return RestoreResult.from_run(run)


def _write_back(batch: list[MigrationSnapshot], *, database, layout, deployment, run, actor, progress) -> None:
    """Write a batch of rows back in one metadata-database transaction, then record that in envmanager."""
    current = database.rows_by_key(layout, [s.key for s in batch])
    for snapshot in batch:
        row = unseal_row(snapshot)
        step = airflow_step(current.get(snapshot.key), row)
        if step == AirflowStep.WRITE:
            snapshot.restore_state = State.WRITTEN
            snapshot.restore_note = "" if database.insert_row(layout, row) else NEW_ID
        elif step == AirflowStep.THERE:
            snapshot.restore_state, snapshot.restore_note = State.WRITTEN, ALREADY_THERE
        else:
            snapshot.restore_state, snapshot.restore_note = State.SKIPPED, EXISTS_AGAIN
    database.commit()
    for snapshot in batch:
        progress("written", snapshot.key)
    with transaction.atomic():
        MigrationSnapshot.objects.bulk_update(batch, ["restore_state", "restore_note"])
        audit_records_bulk([
            _audit(snapshot, deployment=deployment, run=run, actor=actor)
            for snapshot in batch if snapshot.restore_state == State.SKIPPED
        ])


def _remove_copies(snapshot_ids: list[int], *, deployment: Deployment, run: MigrationRun, actor, progress) -> None:
    """For a batch of written-back rows, in one transaction: remove envmanager's copy of each where the
    migration's copy is unchanged (else keep it), record each row's state and its audit entry."""
    with transaction.atomic():
        snapshots = list(
            MigrationSnapshot.objects.select_for_update().filter(pk__in=snapshot_ids, restore_state=State.WRITTEN)
        )
        objects = {
            o.pk: o for o in EnvObject.objects.select_for_update(of=("self",)).prefetch_related("links").filter(
                pk__in=[snapshot_object_id(snapshot) for snapshot in snapshots]
            )
        }
        removed, entries = [], []
        for snapshot in snapshots:
            progress("removing", snapshot.key)
            env_object = objects.get(snapshot_object_id(snapshot))
            step, reason = envmanager_step(snapshot, env_object, deployment)
            before = None
            # History records what the restore does, as a deletion or an override change by hand would be.
            if step == EnvmanagerStep.REMOVE_OBJECT:
                before = env_object_snapshot(env_object)
                version_record(env_object=env_object, actor=actor, change=Change.DELETED, links=deleted_links(env_object))
                removed.append(env_object.pk)
            elif step == EnvmanagerStep.UNDO_LINK:
                migrated = Link.objects.filter(env_object=env_object, deployment=deployment).first()
                link = _put_back_link(env_object, deployment, unseal_copy(snapshot)["link_before"])
                if link is not None and (link.has_override or (migrated and migrated.has_override)):
                    version_record(env_object=env_object, actor=actor, change=Change.CHANGED, link=link)
                elif link is None and migrated is not None and migrated.has_override:
                    migrated.override_data, migrated.override_secrets = {}, {}  # gone with its link, as an unlink
                    version_record(env_object=env_object, actor=actor, change=Change.DELETED, link=migrated)
            snapshot.restore_state = State.KEPT if step == EnvmanagerStep.KEEP else State.RESTORED
            snapshot.restore_note = " ".join(note for note in (snapshot.restore_note, reason) if note)
            entries.append(_audit(snapshot, deployment=deployment, run=run, actor=actor, before=before))
            progress("removed", snapshot.key)
        EnvObject.objects.filter(pk__in=removed).delete()  # with their links
        MigrationSnapshot.objects.bulk_update(snapshots, ["restore_state", "restore_note"])
        audit_records_bulk(entries)


def _put_back_link(env_object: EnvObject, deployment: Deployment, before: dict | None) -> Link | None:
    """Give the Deployment's link the state it had before the migration (none, an exclusion, an override);
    return the link now there, if any."""
    if before is None:
        Link.objects.filter(env_object=env_object, deployment=deployment).delete()
        return None
    sealed = {name: None if value is None else crypto.seal_value(value) for name, value in before["override_secrets"].items()}
    link, _ = Link.objects.update_or_create(
        env_object=env_object, deployment=deployment,
        defaults={"excluded": before["excluded"], "override_data": before["override_data"], "override_secrets": sealed},
    )
    return link


def _audit(snapshot: MigrationSnapshot, *, deployment: Deployment, run: MigrationRun, actor, before=None) -> AuditEntry:
    """The row's unsaved audit entry; `before` is the removed object's (redacted) snapshot."""
    noun = KIND_SPECS[Kind(run.kind)].noun
    return audit_entry(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_MIGRATION_RESTORE, workspace=deployment.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT, target_id=snapshot_object_id(snapshot),
        target_label=f"{noun} '{snapshot.key}' -> Airflow of '{deployment.name}'", before=before,
        extra={"deployment": deployment.name, "run": run.pk, "state": snapshot.restore_state,
               "note": snapshot.restore_note},
    )
