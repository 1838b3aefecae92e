"""*Restore to Airflow*: undo a migration run from its snapshots (`services/migration_snapshots.py`).

Nothing is lost, whatever happens in between, because each row goes through two steps in this order and
records its progress on its `MigrationSnapshot` (`restore_state`):
1. per batch, write the rows back into the Deployment's metadata database (as read: every column, Airflow's
   ciphertext, the id unless another row took it) and commit there; then mark them `written`. A key that is
   in Airflow again with other values is skipped (`skipped`) and envmanager's copy stays;
2. per row, in one envmanager transaction with its audit entry: remove envmanager's copy if it is still
   exactly what the migration made (`restored`), else keep it and say why (`kept`).
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
from envmanager.services.audit import audit_record
from envmanager.services.env_objects import env_object_delete
from envmanager.services.migration_lock import MigrationInProgress, deployment_migration_lock
from envmanager.services.migration_snapshots import unseal_copy, unseal_row

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
        for snapshot in run.snapshots.filter(restore_state=State.WRITTEN):
            progress("removing", snapshot.key)
            _remove_copy(snapshot.pk, deployment=deployment, run=run, actor=actor)
            progress("removed", snapshot.key)
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
        for snapshot in batch:
            if snapshot.restore_state == State.SKIPPED:
                _audit(snapshot, deployment=deployment, run=run, actor=actor, object_id=snapshot_object_id(snapshot))


def _remove_copy(snapshot_id: int, *, deployment: Deployment, run: MigrationRun, actor) -> None:
    """Remove envmanager's copy of one written-back row if the migration's copy is unchanged; else keep it."""
    with transaction.atomic():
        snapshot = MigrationSnapshot.objects.select_for_update().get(pk=snapshot_id)
        if snapshot.restore_state != State.WRITTEN:
            return
        object_id = snapshot_object_id(snapshot)
        env_object = (
            EnvObject.objects.select_for_update(of=("self",)).prefetch_related("links").filter(pk=object_id).first()
        )
        step, reason = envmanager_step(snapshot, env_object, deployment)
        if step == EnvmanagerStep.REMOVE_OBJECT:
            env_object_delete(env_object=env_object, actor=actor)
        elif step == EnvmanagerStep.UNDO_LINK:
            _put_back_link(env_object, deployment, unseal_copy(snapshot)["link_before"])
        snapshot.restore_state = State.KEPT if step == EnvmanagerStep.KEEP else State.RESTORED
        snapshot.restore_note = " ".join(note for note in (snapshot.restore_note, reason) if note)
        snapshot.save(update_fields=["restore_state", "restore_note"])
        _audit(snapshot, deployment=deployment, run=run, actor=actor, object_id=object_id)


def _put_back_link(env_object: EnvObject, deployment: Deployment, before: dict | None) -> None:
    """Give the Deployment's link the state it had before the migration (none, an exclusion, an override)."""
    if before is None:
        Link.objects.filter(env_object=env_object, deployment=deployment).delete()
        return
    sealed = {name: None if value is None else crypto.seal_value(value) for name, value in before["override_secrets"].items()}
    Link.objects.update_or_create(
        env_object=env_object, deployment=deployment,
        defaults={"excluded": before["excluded"], "override_data": before["override_data"], "override_secrets": sealed},
    )


def _audit(snapshot: MigrationSnapshot, *, deployment: Deployment, run: MigrationRun, actor, object_id: int) -> None:
    noun = KIND_SPECS[Kind(run.kind)].noun
    audit_record(
        actor=actor, action=AuditEntry.Action.ENV_OBJECT_MIGRATION_RESTORE, workspace=deployment.workspace,
        target_type=AuditEntry.TargetType.ENV_OBJECT, target_id=object_id,
        target_label=f"{noun} '{snapshot.key}' -> Airflow of '{deployment.name}'",
        extra={"deployment": deployment.name, "run": run.pk, "state": snapshot.restore_state,
               "note": snapshot.restore_note},
    )
