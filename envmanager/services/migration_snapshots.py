"""The restore snapshot of a migration run: each copied source row exactly as read, and what its copy made.

Written by the copy phase (`services/migration.py`) in the same transaction as the copy, so a row whose
copy is committed always has its snapshot, and always before the row is deleted from Airflow. Both halves
are sealed with `crypto.seal_value`: the row holds Airflow's own ciphertext and envmanager's copy holds
plaintext values, so neither is ever stored in the clear.

The copy half is what *Restore to Airflow* compares with envmanager's current state: it removes envmanager's
copy only where it still is exactly what the migration made.
"""

import base64

from envmanager import crypto
from envmanager.models import EnvObject, Link, MigrationRun, MigrationSnapshot

MADE_OBJECT = "object"  # the migration created a Workspace object linked to the Deployment
MADE_LINK = "link"  # the migration linked an existing Workspace object (with an override where values differ)
_BYTES_TAG = "__bytes__"


def _jsonable(value):
    # A driver may hand a BLOB back as bytes; kept tagged, so it is written back as the same bytes.
    return {_BYTES_TAG: base64.b64encode(value).decode()} if isinstance(value, (bytes, memoryview)) else value


def _from_json(value):
    return base64.b64decode(value[_BYTES_TAG]) if isinstance(value, dict) and _BYTES_TAG in value else value


def seal_row(row: dict) -> str:
    return crypto.seal_value([[column, _jsonable(value)] for column, value in row.items()])


def unseal_row(snapshot: MigrationSnapshot) -> dict:
    """Return the source row as it was read: every column, in the table's order."""
    return {column: _from_json(value) for column, value in crypto.unseal_value(snapshot.row)}


def unseal_copy(snapshot: MigrationSnapshot) -> dict:
    return crypto.unseal_value(snapshot.copy)


def link_state(link: Link | None) -> dict | None:
    """Return a link's exclusion and overrides with secret overrides in plaintext (for sealing), or None."""
    if link is None:
        return None
    return {
        "excluded": link.excluded,
        "override_data": link.override_data,
        "override_secrets": {name: link.reveal_override(name) for name in link.override_secrets},
    }


def snapshot_for_object(run: MigrationRun, item, env_object: EnvObject) -> MigrationSnapshot:
    """The snapshot of a row copied as a new Workspace object."""
    made = {"made": MADE_OBJECT, "object_id": env_object.pk, "values": item.source.fields,
            "is_secret": env_object.is_secret}
    return _snapshot(run, item, made)


def snapshot_for_link(run: MigrationRun, item, env_object: EnvObject, *, before: dict | None, link: Link) -> MigrationSnapshot:
    """The snapshot of a row copied onto an existing Workspace object: its link before and after."""
    made = {"made": MADE_LINK, "object_id": env_object.pk, "link_before": before, "link_after": link_state(link)}
    return _snapshot(run, item, made)


def _snapshot(run: MigrationRun, item, made: dict) -> MigrationSnapshot:
    return MigrationSnapshot(
        run=run, source_id=item.source_id, key=item.key, row=seal_row(item.source.raw), copy=crypto.seal_value(made)
    )


def snapshots_save(snapshots: list[MigrationSnapshot]) -> None:
    """Save a batch's snapshots in the caller's (the copy's) transaction, one INSERT."""
    MigrationSnapshot.objects.bulk_create(snapshots)
