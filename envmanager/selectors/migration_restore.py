"""What *Restore to Airflow* would do for one migration run, row by row (the confirmation, `--dry-run`).

Per snapshot two decisions: on the Airflow side, write the row back, find it already there (an earlier,
interrupted restore, or a *Copy only* run), or skip it because the key is in Airflow again with other
values; on envmanager's side, remove the copy (the object the migration created, or the link/override it
set) only if it is still exactly what the migration made, else keep it and say why.
"""

from dataclasses import dataclass, field

from envmanager.airflow_db.database import Layout, MetadataDatabase
from envmanager.airflow_db.objects import TABLES
from envmanager.models import Deployment, EnvObject, MigrationRun, MigrationSnapshot
from envmanager.selectors.env_objects import differing_fields
from envmanager.selectors.migration import MigrationNotPossible, open_deployment_database
from envmanager.services.migration_snapshots import MADE_OBJECT, link_state, unseal_copy, unseal_row


class AirflowStep:
    WRITE = "write"  # the row is written back
    THERE = "there"  # the same row is in Airflow already: nothing to write
    EXISTS = "exists"  # the key is in Airflow again with other values: skipped, envmanager's copy kept
    DONE = "done"  # handled by an earlier restore


class EnvmanagerStep:
    REMOVE_OBJECT = "remove_object"
    UNDO_LINK = "undo_link"  # the link or override the migration set is removed (an earlier one put back)
    KEEP = "keep"
    GONE = "gone"  # already deleted in envmanager
    DONE = "done"


EXISTS_AGAIN = "The key is in Airflow again with other values: not written back; envmanager's copy kept."


@dataclass
class RestoreItem:
    snapshot: MigrationSnapshot
    airflow: str
    envmanager: str
    reason: str = ""

    @property
    def key(self) -> str:
        return self.snapshot.key


@dataclass
class RestorePlan:
    run: MigrationRun
    items: list[RestoreItem] = field(default_factory=list)

    def by_step(self, side: str, *steps: str) -> list[RestoreItem]:
        return [item for item in self.items if getattr(item, side) in steps]

    @property
    def nothing_to_do(self) -> bool:
        return all(item.airflow == AirflowStep.DONE and item.envmanager == EnvmanagerStep.DONE for item in self.items)


def same_row(current: dict, row: dict) -> bool:
    """Whether the row in Airflow now holds exactly what the snapshot holds (every column they share)."""
    return all(current[column] == row[column] for column in current if column in row)


def airflow_step(current: dict | None, row: dict) -> str:
    if current is None:
        return AirflowStep.WRITE
    return AirflowStep.THERE if same_row(current, row) else AirflowStep.EXISTS


def envmanager_step(snapshot: MigrationSnapshot, env_object: EnvObject | None, deployment: Deployment) -> tuple[str, str]:
    """Return (step, reason): whether envmanager's copy is still exactly what the migration made."""
    made = unseal_copy(snapshot)
    if env_object is None or env_object.workspace_id != deployment.workspace_id:
        return EnvmanagerStep.GONE, "envmanager's copy was deleted since the migration."
    links = list(env_object.links.all())
    if made["made"] == MADE_OBJECT:
        changed = differing_fields(env_object, made["values"])
        if changed or env_object.is_secret != made["is_secret"]:
            fields = ", ".join(changed) if changed else "secret flag"
            return EnvmanagerStep.KEEP, f"Edited in envmanager since the migration ({fields}): kept."
        if env_object.linked_to_all or [(link.deployment_id, link.excluded, link.has_override) for link in links] != [
            (deployment.pk, False, False)
        ]:
            return EnvmanagerStep.KEEP, "Its links or overrides changed since the migration: kept."
        return EnvmanagerStep.REMOVE_OBJECT, "The Workspace object the migration created is deleted."
    link = next((link for link in links if link.deployment_id == deployment.pk), None)
    if link_state(link) != made["link_after"]:
        return EnvmanagerStep.KEEP, f"Deployment '{deployment.name}''s link or override changed since the migration: kept."
    if made["link_before"] is None:
        return EnvmanagerStep.UNDO_LINK, "The link (and override) the migration added is removed."
    return EnvmanagerStep.UNDO_LINK, "The link's override is put back as it was before the migration."


def copies_of(snapshots: list[MigrationSnapshot]) -> dict[int, EnvObject]:
    """The envmanager objects the snapshots' copies point at, with their links (two queries)."""
    ids = [unseal_copy(snapshot)["object_id"] for snapshot in snapshots]
    return {o.pk: o for o in EnvObject.objects.filter(pk__in=ids).prefetch_related("links")}


def snapshot_object_id(snapshot: MigrationSnapshot) -> int:
    return unseal_copy(snapshot)["object_id"]


def restore_layout(database: MetadataDatabase, run: MigrationRun) -> Layout:
    return database.layout(TABLES[run.kind])


def restorable_run(run: MigrationRun) -> None:
    if run.finished_at is None:
        raise MigrationNotPossible(f"Run {run.pk} is still running; restore it once it has finished.")


def migration_restore_plan(*, deployment: Deployment, run: MigrationRun) -> RestorePlan:
    """Read the Deployment's metadata database and envmanager; return what a restore of `run` would do.

    Raises MigrationNotPossible or MetadataDatabaseError with a message fit to show.
    """
    restorable_run(run)
    snapshots = list(run.snapshots.all())
    pending = [s for s in snapshots if s.restore_state == MigrationSnapshot.RestoreState.PENDING]
    with open_deployment_database(deployment, read_only=True) as database:
        current = database.rows_by_key(restore_layout(database, run), [s.key for s in pending])
    objects = copies_of([s for s in snapshots if s.restore_state in _ENVMANAGER_OPEN])
    plan = RestorePlan(run)
    for snapshot in snapshots:
        state = snapshot.restore_state
        if state == MigrationSnapshot.RestoreState.PENDING:
            step = airflow_step(current.get(snapshot.key), unseal_row(snapshot))
        else:
            step = AirflowStep.DONE
        if step == AirflowStep.EXISTS:
            plan.items.append(RestoreItem(snapshot, step, EnvmanagerStep.KEEP, EXISTS_AGAIN))
        elif state in _ENVMANAGER_OPEN:
            env_step, reason = envmanager_step(snapshot, objects.get(snapshot_object_id(snapshot)), deployment)
            plan.items.append(RestoreItem(snapshot, step, env_step, reason))
        else:
            plan.items.append(RestoreItem(snapshot, step, EnvmanagerStep.DONE, snapshot.restore_note))
    return plan


_ENVMANAGER_OPEN = (MigrationSnapshot.RestoreState.PENDING, MigrationSnapshot.RestoreState.WRITTEN)
