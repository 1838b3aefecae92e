"""Turn rows of Airflow's `connection` and `variable` tables into envmanager field values."""

import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from envmanager import crypto
from envmanager.airflow_db.database import Layout, MetadataDatabase
from envmanager.kinds import Kind, check_required, clean_fields, key_error

TABLES = {Kind.CONNECTION: "connection", Kind.VARIABLE: "variable"}

# Airflow masks variables whose key contains one of these (its DEFAULT_SENSITIVE_FIELDS); envmanager keeps
# such values secret (write-only) after migration, as Airflow's own UI hid them.
AIRFLOW_SENSITIVE_WORDS = frozenset(
    {
        "access_key", "access_token", "api_key", "apikey", "auth_header", "authorization", "bearer",
        "connection_string", "dsn", "passphrase", "passwd", "password", "private_key", "proxy", "proxies",
        "secret", "service_account", "service_key", "token", "keyfile_dict", "webhook_url",
    }
)


@dataclass
class AirflowObject:
    """One connection or variable read from a metadata database."""

    source_id: int
    kind: Kind
    key: str
    raw: dict = field(repr=False)  # the row exactly as read: deletion compares against it
    fields: dict = field(default_factory=dict, repr=False)  # plaintext values; never rendered
    is_secret: bool = False
    problem: str | None = None  # why it cannot be migrated, from reading alone


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in AIRFLOW_SENSITIVE_WORDS)


def _decrypted(row: dict, column: str, flag_column: str, key_set) -> str | None:
    value = row.get(column)
    if value in (None, "") or not row.get(flag_column):
        return value
    return crypto.airflow_decrypt(key_set, value)


def _connection_fields(row: dict, key_set) -> dict:
    """Return the connection's values exactly as Airflow holds them (`extra` stays its JSON text)."""
    extra = _decrypted(row, "extra", "is_extra_encrypted", key_set)
    if extra not in (None, ""):
        try:
            parsed = json.loads(extra)
        except json.JSONDecodeError:
            raise ValidationError({"extra": "not valid JSON"}) from None
        if not isinstance(parsed, dict):
            raise ValidationError({"extra": "not a JSON object"})
    return {
        "conn_type": row["conn_type"],
        "description": row.get("description"),
        "host": row["host"],
        "schema": row["schema"],
        "login": row["login"],
        "password": _decrypted(row, "password", "is_encrypted", key_set),
        "port": row["port"],
        "extra": extra,
    }


def _variable_fields(row: dict, key_set) -> dict:
    return {"value": _decrypted(row, "val", "is_encrypted", key_set), "description": row.get("description")}


TEAM_SCOPED = (
    "Cannot be migrated: team-scoped (Airflow multi-team); envmanager would serve it to every team of this "
    "Deployment."
)


def _is_team_scoped(row: dict) -> bool:
    # Airflow 3 multi-team: `team_name` (3.1+; `team_id` in early 3.x layouts) limits a row to one team,
    # and Airflow's metastore lookup serves it to that team's tasks only. envmanager has no teams.
    return row.get("team_name") is not None or row.get("team_id") is not None


def _to_object(kind: Kind, row: dict, key_set) -> AirflowObject:
    key = row["conn_id"] if kind == Kind.CONNECTION else row["key"]
    item = AirflowObject(source_id=row["id"], kind=kind, key=key or "", raw=row)
    if kind == Kind.VARIABLE:
        item.is_secret = is_sensitive_key(item.key)
    if _is_team_scoped(row):
        item.problem = TEAM_SCOPED
        return item
    if error := key_error(kind, item.key):
        item.problem = error  # names Airflow's rule: such a row stays in Airflow
        return item
    try:
        values = _connection_fields(row, key_set) if kind == Kind.CONNECTION else _variable_fields(row, key_set)
        cleaned = clean_fields(kind, values)
        check_required(kind, cleaned)
    except crypto.SecretDecryptionError as exc:
        item.problem = f"Cannot be migrated: {exc}."
        return item
    except ValidationError as exc:
        item.problem = "Cannot be migrated — " + "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
        return item
    item.fields = cleaned
    return item


def read_airflow_objects(
    database: MetadataDatabase, kind: Kind, fernet_keys: list[str], *, ids: list[int] | None = None
) -> tuple[Layout, list[AirflowObject]]:
    """Return the table layout and every connection or variable in it (or just `ids`), decrypted."""
    layout = database.layout(TABLES[kind])
    key_set = crypto.airflow_key_set(fernet_keys)
    return layout, [_to_object(kind, row, key_set) for row in database.read_rows(layout, ids=ids)]
