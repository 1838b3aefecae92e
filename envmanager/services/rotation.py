"""Re-encrypt every stored secret under the newest key of `settings.ENVMANAGER_ENCRYPTION_KEYS`.

Put a new key first in the list, restart every process that writes secrets, then rotate. Rows are
rotated in batches by primary key, one transaction per batch, so an interruption loses nothing and a
second run skips what the first one finished (`crypto.rotate` leaves current tokens as they are).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction

from envmanager import crypto
from envmanager.models import AuditEntry, Deployment, EnvObject, Link, MigrationSnapshot, ObjectVersion
from envmanager.services.audit import audit_record

# Every column that holds secrets: a JSON object of field name -> token, a single token ("" = unset),
# or (a deleted object's version) a list of links, each with its `override_secrets` object.
# History keeps old ciphertext for Revert and Restore, and a migration run keeps its restore snapshots:
# both must stay readable once the old key is removed.
SECRET_COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    EnvObject: ("secrets",),
    Link: ("override_secrets",),
    Deployment: ("metadata_db_url_encrypted", "fernet_keys_encrypted"),
    ObjectVersion: ("secrets", "links"),
    MigrationSnapshot: ("row", "copy"),
}


@dataclass
class RotationResult:
    secrets_rotated: int = 0  # tokens re-encrypted (or, in a dry run, that would be)
    rows_changed: int = 0  # rows holding at least one such token
    secrets_current: int = 0  # tokens already under the newest key
    dry_run: bool = False


@dataclass(frozen=True)
class RotationProgress:
    rows_done: int
    rows_total: int


def encryption_keys_rotate(
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    on_progress: Callable[[RotationProgress], None] | None = None,
    actor=None,
) -> RotationResult:
    """Re-encrypt every secret under the newest key; with `dry_run`, only count what would change.

    `on_progress` is called after each committed batch. A token no configured key opens stops the
    run with a `crypto.SecretDecryptionError` naming the row; batches committed before it stay done.
    """
    if batch_size < 1:
        raise ValidationError("The batch size must be at least 1.")
    result = RotationResult(dry_run=dry_run)
    rows_total = sum(model.objects.count() for model in SECRET_COLUMNS)
    rows_done = 0
    for model, columns in SECRET_COLUMNS.items():
        last_pk = 0
        while rows := _rotate_batch(model, columns, after_pk=last_pk, size=batch_size, dry_run=dry_run, result=result):
            last_pk = rows[-1]["pk"]
            rows_done += len(rows)
            if on_progress is not None:
                on_progress(RotationProgress(rows_done=rows_done, rows_total=max(rows_total, rows_done)))
    if not dry_run:
        with transaction.atomic(durable=True):
            audit_record(
                actor=actor, action=AuditEntry.Action.ENCRYPTION_KEYS_ROTATE, workspace=None,
                target_type=AuditEntry.TargetType.ENCRYPTION_KEYS,
                target_id=None, target_label="Encryption keys",
                after={
                    "secrets_rotated": result.secrets_rotated,
                    "rows_changed": result.rows_changed,
                    "secrets_current": result.secrets_current,
                },
            )
    return result


def _rotate_batch(model, columns, *, after_pk: int, size: int, dry_run: bool, result: RotationResult) -> list[dict]:
    """Rotate the next `size` rows after `after_pk` in one durable transaction; return them."""
    with transaction.atomic(durable=True):
        rows = model.objects.filter(pk__gt=after_pk).order_by("pk").values("pk", *columns)
        if not dry_run:
            # Lock the batch so a concurrent edit waits, then re-reads the rotated tokens.
            rows = rows.select_for_update()
        rows = list(rows[:size])
        for row in rows:
            changes = _rotated_columns(model, row, columns, result)
            if changes:
                result.rows_changed += 1
                if not dry_run:
                    # update(), not save(): rotation must not touch `updated_at` or run save() logic.
                    model.objects.filter(pk=row["pk"]).update(**changes)
    return rows


def _rotated_columns(model, row: dict, columns: tuple[str, ...], result: RotationResult) -> dict:
    """Return {column: new value} for the columns of `row` holding a token not under the newest key."""
    changes = {}
    for column in columns:
        stored = row[column]

        def rotated_object(tokens: dict, where: str) -> dict:
            # A None token is an override "to empty" (see services/overrides.py): nothing to re-encrypt.
            return {
                name: token if token is None
                else _rotated_token(token, model=model, pk=row["pk"], where=f"{where}.{name}", result=result)
                for name, token in tokens.items()
            }

        if isinstance(stored, dict):
            rotated = rotated_object(stored, column)
        elif isinstance(stored, list):
            rotated = [
                {**link, "override_secrets": rotated_object(link["override_secrets"], f"{column}[{i}].override_secrets")}
                if link.get("override_secrets") else link
                for i, link in enumerate(stored)
            ]
        elif stored:
            rotated = _rotated_token(stored, model=model, pk=row["pk"], where=column, result=result)
        else:
            continue
        if rotated != stored:
            changes[column] = rotated
    return changes


def _rotated_token(token, *, model, pk: int, where: str, result: RotationResult) -> str:
    """Return `token` under the newest key, counting it; name the row (never the value) if it cannot be."""
    try:
        if not isinstance(token, str):
            raise crypto.SecretDecryptionError
        rotated = crypto.rotate(token)
    except crypto.SecretDecryptionError:
        raise crypto.SecretDecryptionError(
            f"{model.__name__} id={pk} field '{where}' cannot be decrypted with any key in "
            "ENVMANAGER_ENCRYPTION_KEYS; add the key it was encrypted with and run the rotation again."
        ) from None
    if rotated == token:
        result.secrets_current += 1
    else:
        result.secrets_rotated += 1
    return rotated
