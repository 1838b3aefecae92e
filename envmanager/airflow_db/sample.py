"""Build Airflow metadata databases in Airflow's real table layout, for the demo, tests and benchmarks.

The columns and types follow Airflow's own models (`airflow/models/connection.py`, `variable.py`,
`crypto.py`): 2.x has no `team_name`; 3.x adds it (and a `team` table). Values are encrypted exactly as
Airflow does it: Fernet tokens of the UTF-8 text, with `is_encrypted` / `is_extra_encrypted` set.
"""

import json
import sqlite3
from pathlib import Path

import psycopg

from envmanager import crypto

AIRFLOW_LAYOUTS = ("2", "3")
# The schema revision each layout's `alembic_version` holds: Airflow 2.10.3's and 3.3.0's heads.
ALEMBIC_REVISIONS = {"2": "5f2621c13b39", "3": "d2f4e1b3c5a7"}

_TEAM_TABLE = "CREATE TABLE team (name VARCHAR(50) PRIMARY KEY)"


def _ddl(layout: str, engine: str) -> list[str]:
    serial = "SERIAL PRIMARY KEY" if engine == "postgresql" else "INTEGER PRIMARY KEY"
    team = ", team_name VARCHAR(50) REFERENCES team(name) ON DELETE SET NULL" if layout == "3" else ""
    statements = [_TEAM_TABLE] if layout == "3" else []
    statements += [
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        # Airflow's dag table (the columns both 2.x and 3.x have); envmanager only checks that it is there.
        """CREATE TABLE dag (
            dag_id VARCHAR(250) PRIMARY KEY, is_paused BOOLEAN, fileloc VARCHAR(2000), owners VARCHAR(2000),
            description TEXT, last_parsed_time TIMESTAMP)""",
        f"""CREATE TABLE connection (
            id {serial}, conn_id VARCHAR(250) NOT NULL UNIQUE, conn_type VARCHAR(500) NOT NULL,
            description TEXT, host VARCHAR(500), "schema" VARCHAR(500), login TEXT, password TEXT,
            port INTEGER, is_encrypted BOOLEAN NOT NULL DEFAULT FALSE,
            is_extra_encrypted BOOLEAN NOT NULL DEFAULT FALSE, extra TEXT{team})""",
        f"""CREATE TABLE variable (
            id {serial}, "key" VARCHAR(250) UNIQUE, val TEXT, description TEXT,
            is_encrypted BOOLEAN NOT NULL DEFAULT FALSE{team})""",
    ]
    return statements


class SampleMetadataDatabase:
    """A writable Airflow metadata database with helpers to add connections and variables."""

    def __init__(self, conn, engine: str, fernet_keys: list[str]):
        self.conn, self.engine = conn, engine
        self.key_set = crypto.airflow_key_set(fernet_keys)

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.engine == "sqlite" else sql

    def execute(self, sql: str, params=()):
        cursor = self.conn.cursor()
        cursor.execute(self._sql(sql), params)
        self.conn.commit()
        return cursor

    def _encrypt(self, value: str | None, encrypt: bool) -> tuple[str | None, bool]:
        if value is None or not encrypt or self.key_set is None:
            return value, False
        return crypto.airflow_encrypt(self.key_set, value), True

    def add_connection(self, conn_id: str, conn_type: str = "postgres", *, host=None, schema=None, login=None,
                       password=None, port=None, extra=None, description=None, encrypt=True) -> int:
        password, is_encrypted = self._encrypt(password, encrypt)
        extra_text = json.dumps(extra) if isinstance(extra, (dict, list)) else extra
        extra_text, is_extra_encrypted = self._encrypt(extra_text, encrypt)
        cursor = self.execute(
            'INSERT INTO connection (conn_id, conn_type, description, host, "schema", login, password, port, '
            "is_encrypted, is_extra_encrypted, extra) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            + (" RETURNING id" if self.engine == "postgresql" else ""),
            (conn_id, conn_type, description, host, schema, login, password, port, is_encrypted,
             is_extra_encrypted, extra_text),
        )
        return cursor.fetchone()[0] if self.engine == "postgresql" else cursor.lastrowid

    def add_variable(self, key: str, value: str | None, *, description=None, encrypt=True) -> int:
        val, is_encrypted = self._encrypt(value, encrypt)
        cursor = self.execute(
            'INSERT INTO variable ("key", val, description, is_encrypted) VALUES (%s, %s, %s, %s)'
            + (" RETURNING id" if self.engine == "postgresql" else ""),
            (key, val, description, is_encrypted),
        )
        return cursor.fetchone()[0] if self.engine == "postgresql" else cursor.lastrowid

    def close(self):
        self.conn.close()


def create_sample_database(url: str, *, layout: str = "3", fernet_keys: list[str]) -> SampleMetadataDatabase:
    """Create Airflow's tables at `url` (a new SQLite file, its folder made if needed, or an empty PostgreSQL database)."""
    if layout not in AIRFLOW_LAYOUTS:
        raise ValueError(f"Unknown Airflow layout {layout!r}; use one of {AIRFLOW_LAYOUTS}.")
    if url.startswith("sqlite"):
        path = Path(url.split("://", 1)[1][1:])
        path.parent.mkdir(parents=True, exist_ok=True)
        conn, engine = sqlite3.connect(path), "sqlite"
    else:
        conn, engine = psycopg.connect("postgresql://" + url.split("://", 1)[1]), "postgresql"
    database = SampleMetadataDatabase(conn, engine, fernet_keys)
    for statement in _ddl(layout, engine):
        database.execute(statement)
    database.execute("INSERT INTO alembic_version (version_num) VALUES (%s)", (ALEMBIC_REVISIONS[layout],))
    return database
