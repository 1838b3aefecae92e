"""Key rotation and overrides that set a secret field to empty."""

from cryptography.fernet import Fernet

from envmanager.models import Link
from envmanager.services.promotion import env_object_promote
from envmanager.services.rotation import encryption_keys_rotate
from tests.factories import ConnectionFactory


def test_rotation_keeps_empty_secret_overrides_and_rotates_the_rest(settings, workspace, dev):
    ConnectionFactory(workspace=workspace, key="db", fields={"conn_type": "http", "password": "shared"})
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="db", fields={"conn_type": "http"})
    env_object_promote(env_object=own, actor=None)  # dev had no password: override "to empty"
    link = Link.objects.get(deployment=dev)
    assert link.override_secrets == {"password": None}
    new_key = Fernet.generate_key().decode()
    settings.ENVMANAGER_ENCRYPTION_KEYS = [new_key, *settings.ENVMANAGER_ENCRYPTION_KEYS]

    result = encryption_keys_rotate()

    link.refresh_from_db()
    assert link.override_secrets == {"password": None}
    assert result.secrets_rotated == 2  # the shared password, and the copy its version 1 keeps
