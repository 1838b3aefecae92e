import json

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management.base import CommandError

from envmanager import crypto
from envmanager.kinds import Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, Link, MigrationRun, MigrationSnapshot
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from envmanager.services import rotation
from tests.commands.conftest import MARKER
from tests.conftest import TEST_ENCRYPTION_KEY, airflow_url
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    VariableFactory,
    WorkspaceFactory,
)

NEW_KEY = Fernet.generate_key().decode()
AIRFLOW_FERNET_KEY = Fernet.generate_key().decode()


def raw_tokens() -> dict[str, str]:
    """Return every stored secret token as {"Model id column[.field]": token}, read straight from the rows."""
    tokens = {}
    for model, columns in rotation.SECRET_COLUMNS.items():
        for row in model.objects.order_by("pk").values("pk", *columns):
            for column in columns:
                stored = row[column]
                if isinstance(stored, dict):
                    tokens.update({f"{model.__name__} {row['pk']} {column}.{name}": t for name, t in stored.items()})
                elif isinstance(stored, list):  # a deleted object's links
                    tokens.update({
                        f"{model.__name__} {row['pk']} {column}[{i}].{name}": t
                        for i, link in enumerate(stored) for name, t in (link.get("override_secrets") or {}).items()
                    })
                elif stored:
                    tokens[f"{model.__name__} {row['pk']} {column}"] = stored
    return tokens


def plaintexts_with(key: str, tokens: dict[str, str]) -> dict[str, str]:
    """Decrypt every token with `key` alone; raises InvalidToken if any is not under it."""
    fernet = Fernet(key)
    return {where: fernet.decrypt(token.encode()).decode() for where, token in tokens.items()}


@pytest.fixture
def stored_secrets(db):
    """Secrets in every column that holds them, all under the test key; return their plaintexts."""
    workspace = WorkspaceFactory(name="Rotation")
    prod = DeploymentFactory(
        workspace=workspace, name="prod", metadata_db_url=airflow_url(f"prod-{MARKER}"),
        fernet_keys=AIRFLOW_FERNET_KEY,
    )
    DeploymentFactory(workspace=workspace, name="edge")  # no secrets: read, never rewritten
    warehouse = ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "password": MARKER, "extra": {"a": 1}}
    )
    link_services.link_create(env_object=warehouse, actor=None, target=prod)
    link_services.link_set_override(env_object=warehouse, actor=None, target=prod, fields={"password": "prod-pw"})
    VariableFactory(workspace=workspace, key="token", fields={"value": "tok"}, is_secret=True)
    VariableFactory(workspace=workspace, key="plain", fields={"value": "p"})
    for number in range(5):
        ConnectionFactory(
            workspace=workspace, key=f"conn_{number}", fields={"conn_type": "http", "password": f"pw{number}"}
        )
    # History keeps ciphertext too: a deleted object's last version holds its links' override secrets,
    # and a migration run holds its restore snapshots.
    gone = ConnectionFactory(workspace=workspace, key="gone", fields={"conn_type": "http", "password": "gone-pw"})
    link_services.link_create(env_object=gone, actor=None, target=prod)
    link_services.link_set_override(env_object=gone, actor=None, target=prod, fields={"password": "gone-prod-pw"})
    env_object_services.env_object_delete(env_object=gone, actor=None)
    run = MigrationRun.objects.create(deployment=prod, kind=Kind.CONNECTION, started_by_name="x", state="finished",
                                     finished_at="2026-01-01T00:00:00Z")
    MigrationSnapshot.objects.create(run=run, source_id=1, key="airflow_conn", row=crypto.seal_value({"password": "r"}),
                                     copy=crypto.seal_value({"password": "c"}))
    return plaintexts_with(TEST_ENCRYPTION_KEY, raw_tokens())


def test_every_secret_decrypts_with_the_new_key_alone_after_rotation(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]
    updated_at = dict(EnvObject.objects.values_list("pk", "updated_at"))

    result = run("rotate_encryption_keys", batch_size=2)

    assert len(stored_secrets) == 26  # 11 current values, 13 in their versions' history, 2 in a restore snapshot
    assert any("links[0].password" in where for where in stored_secrets)  # the deleted object's override
    assert sum(where.startswith("MigrationSnapshot") for where in stored_secrets) == 2
    assert plaintexts_with(NEW_KEY, raw_tokens()) == stored_secrets
    assert "Re-encrypted 26 secrets in 21 rows; 0 already current." in result.out
    assert "Re-encrypting secrets" in result.err  # the progress bar, on stderr
    assert dict(EnvObject.objects.values_list("pk", "updated_at")) == updated_at
    # Values are still what they were, through the models' own reveal paths.
    assert EnvObject.objects.get(key="warehouse").reveal("extra") == '{"a": 1}'
    assert Deployment.objects.get(name="prod").reveal_fernet_keys() == [AIRFLOW_FERNET_KEY]
    assert MARKER not in result.both


def test_old_key_can_be_removed_after_rotation(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]
    run("rotate_encryption_keys")

    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY]

    assert Link.objects.get().reveal_override("password") == "prod-pw"
    assert Deployment.objects.get(name="prod").reveal_metadata_db_url().startswith("sqlite:///")


def test_rotation_writes_one_audit_entry_with_counts_only(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]
    before = AuditEntry.objects.count()

    run("rotate_encryption_keys")

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.get(action="encryption_keys.rotate")
    assert entry.actor is None and entry.actor_name == "system"
    assert entry.changes["after"] == {"secrets_rotated": 26, "rows_changed": 21, "secrets_current": 0}
    assert MARKER not in json.dumps(entry.changes)


def test_a_second_run_skips_what_is_already_current(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]
    run("rotate_encryption_keys")
    tokens = raw_tokens()

    result = run("rotate_encryption_keys")

    assert raw_tokens() == tokens
    assert "Re-encrypted 0 secrets in 0 rows; 26 already current." in result.out


def test_dry_run_counts_and_changes_nothing(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]
    tokens, audit_count = raw_tokens(), AuditEntry.objects.count()

    result = run("rotate_encryption_keys", dry_run=True)

    assert raw_tokens() == tokens
    assert AuditEntry.objects.count() == audit_count
    assert "Would re-encrypt 26 secrets in 21 rows; 0 already current." in result.out
    assert "Dry run: nothing changed." in result.out


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_rotation_loses_nothing_and_a_rerun_finishes(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]

    def interrupt(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotation.encryption_keys_rotate(batch_size=3, on_progress=interrupt)

    # The first batch (three EnvObject rows) is committed under the new key; the rest is untouched.
    tokens = raw_tokens()
    rotated = {where for where, token in tokens.items() if _opens(NEW_KEY, token)}
    assert rotated and len(rotated) < len(tokens)
    assert {where.split()[0] for where in rotated} == {"EnvObject"}
    not_yet = {where: token for where, token in tokens.items() if where not in rotated}
    done = {where: tokens[where] for where in rotated}
    assert {**plaintexts_with(NEW_KEY, done), **plaintexts_with(TEST_ENCRYPTION_KEY, not_yet)} == stored_secrets

    result = run("rotate_encryption_keys", batch_size=3)

    assert plaintexts_with(NEW_KEY, raw_tokens()) == stored_secrets
    assert f"{len(rotated)} already current." in result.out


def _opens(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def test_a_secret_no_key_opens_stops_with_the_row_named_and_changes_nothing(run, settings, stored_secrets):
    stranger = Fernet(Fernet.generate_key()).encrypt(json.dumps(MARKER).encode()).decode()
    broken = EnvObject.objects.get(key="conn_3")
    EnvObject.objects.filter(pk=broken.pk).update(secrets={"password": stranger})
    settings.ENVMANAGER_ENCRYPTION_KEYS = [NEW_KEY, TEST_ENCRYPTION_KEY]
    tokens = raw_tokens()

    with pytest.raises(CommandError) as error:
        run("rotate_encryption_keys")

    message = str(error.value)
    assert message.startswith(f"EnvObject id={broken.pk} field 'secrets.password' cannot be decrypted with any key")
    assert MARKER not in message and stranger not in message
    assert raw_tokens() == tokens  # the failing batch was rolled back; later tables were never reached
    assert not AuditEntry.objects.filter(action="encryption_keys.rotate").exists()


def test_batch_size_must_be_positive(run, db):
    with pytest.raises(CommandError, match="--batch-size must be at least 1."):
        run("rotate_encryption_keys", batch_size=0)


def test_a_malformed_key_setting_is_one_clear_line(run, settings, stored_secrets):
    settings.ENVMANAGER_ENCRYPTION_KEYS = ["not-a-fernet-key", TEST_ENCRYPTION_KEY]
    tokens = raw_tokens()

    with pytest.raises(CommandError, match="ENVMANAGER_ENCRYPTION_KEYS holds a value that is not a Fernet key"):
        run("rotate_encryption_keys")
    assert raw_tokens() == tokens
