"""The only place that encrypts or decrypts envmanager's secrets at rest.

Keys come from `settings.ENVMANAGER_ENCRYPTION_KEYS`, newest first: the newest encrypts, every key
decrypts, so a new key can be put in front and `rotate_encryption_keys` re-encrypts at leisure.
"""

import json
from contextlib import contextmanager
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@contextmanager
def _refused(message: str, errors=(InvalidToken,)):
    """Turn a token no key opens into SecretDecryptionError(`message`), without the token in the traceback."""
    try:
        yield
    except errors:
        raise SecretDecryptionError(message) from None


@lru_cache(maxsize=4)
def _key_set(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise ImproperlyConfigured("ENVMANAGER_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        fernets = [Fernet(key) for key in keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENVMANAGER_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[MultiFernet, Fernet]:
    return _key_set(tuple(settings.ENVMANAGER_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Return a Fernet token for `plaintext` under the newest key."""
    return _keys()[0].encrypt(plaintext.encode()).decode()


def decrypt(token: str, *, ttl: int | None = None) -> str:
    """Return the plaintext of `token`; raise SecretDecryptionError if no key opens it (or, with `ttl`,
    it is older than `ttl` seconds)."""
    with _refused("A stored secret cannot be decrypted with the configured ENVMANAGER_ENCRYPTION_KEYS."):
        return _keys()[0].decrypt(token.encode(), ttl=ttl).decode()


def is_current(token: str) -> bool:
    """Return whether `token` is already encrypted under the newest key."""
    try:
        _keys()[1].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """Return `token` re-encrypted under the newest key (unchanged if it already is)."""
    if is_current(token):
        return token
    with _refused("A stored secret cannot be decrypted with any configured key; rotation cannot proceed."):
        return _keys()[0].rotate(token.encode()).decode()


def seal_value(value) -> str:
    """Return a token for a field value of any JSON type (str, int, dict), so it decrypts as itself."""
    return encrypt(json.dumps(value))


def unseal_value(token: str):
    """Return the field value sealed in `token`."""
    return json.loads(decrypt(token))


def is_valid_fernet_key(key: str) -> bool:
    """Return whether `key` is a usable Fernet key (Airflow's `[core] fernet_key` entries too)."""
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def airflow_key_set(keys: list[str]) -> MultiFernet | None:
    """Return Airflow's own key set (its `[core] fernet_key` list, newest first), or None if empty."""
    fernets = [Fernet(key) for key in keys if key]
    return MultiFernet(fernets) if fernets else None


def airflow_decrypt(key_set: MultiFernet | None, token: str) -> str:
    """Decrypt a value Airflow encrypted in its metadata database; SecretDecryptionError if no key opens it."""
    if key_set is None:
        raise SecretDecryptionError("it is encrypted and the Deployment has no Airflow Fernet key configured")
    with _refused("it cannot be decrypted with the Deployment's Airflow Fernet keys", (InvalidToken, ValueError, UnicodeError)):
        return key_set.decrypt(token.encode()).decode()


def airflow_encrypt(key_set: MultiFernet, plaintext: str) -> str:
    """Encrypt a value the way Airflow stores it (for demo and test metadata databases)."""
    return key_set.encrypt(plaintext.encode()).decode()
