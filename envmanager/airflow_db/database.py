"""Read and delete connections and variables in a Deployment's own Airflow metadata database.

No Airflow import and no Django models: plain DB-API connections (sqlite3, psycopg) to a database that
Airflow owns. Reading is read-only; the writes are `delete_if_unchanged`, which removes one row only if
every column still holds what was read, and `insert_row`, which writes a migrated row back (restore).
"""

import logging
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from envmanager.airflow_db.confinement import (
    MetadataDatabaseAddress,
    MetadataDatabaseError,
    envmanager_database_identity,
    metadata_db_address,
)
from envmanager.airflow_db.revisions import AIRFLOW_REVISIONS

__all__ = ["Layout", "MetadataDatabase", "MetadataDatabaseError", "open_metadata_database"]

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 15_000
# Given so that libpq reads nothing of the server account's own: no ~/.pgpass, no client certificate.
NO_FILE = "/nonexistent/envmanager-metadata-db"
ROW_ID_MIN, ROW_ID_MAX = -(2**63), 2**63 - 1

# Columns every supported Airflow version (2.x and 3.x) has; the rest are read when present.
REQUIRED_COLUMNS = {
    "connection": ("id", "conn_id", "conn_type", "host", "schema", "login", "password", "port", "extra"),
    "variable": ("id", "key", "val"),
    # Not read; required so that only a database Airflow made is taken for one.
    "dag": ("dag_id", "is_paused", "fileloc", "owners", "description", "last_parsed_time"),
}
KEY_COLUMNS = {"connection": "conn_id", "variable": "key"}
OPTIONAL_COLUMNS = {
    "connection": ("description", "is_encrypted", "is_extra_encrypted", "team_name", "team_id"),
    "variable": ("description", "is_encrypted", "team_name", "team_id"),
    "dag": (),
}


@dataclass(frozen=True)
class Layout:
    """Which columns one table has (detected from the database itself)."""

    table: str
    columns: tuple[str, ...]

    def has(self, column: str) -> bool:
        return column in self.columns


class MetadataDatabase:
    """An open connection to an Airflow metadata database (PostgreSQL or SQLite) at a confined address."""

    def __init__(self, address: MetadataDatabaseAddress, *, read_only: bool):
        self.address = address
        self.engine = address.engine
        self.read_only = read_only
        self._conn = self._connect_sqlite() if self.engine == "sqlite" else self._connect_postgresql()

    def _connect_sqlite(self):
        path = self.address.path
        try:
            if self.read_only and os.path.exists(f"{path}-journal"):
                _roll_back_hot_journal(path)
            # The path goes in as a file: URI of its own (quoted), so nothing in it becomes a URI option;
            # mode=ro / mode=rw never create a database that is not there.
            mode = "ro" if self.read_only else "rw"
            return sqlite3.connect(
                f"{Path(path).as_uri()}?mode={mode}", uri=True, timeout=CONNECT_TIMEOUT_SECONDS
            )
        except sqlite3.Error as exc:
            raise MetadataDatabaseError(
                f"Cannot open the SQLite database {self.address.label}: {_first_line(exc)}"
            ) from None

    def _connect_postgresql(self):
        options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
        if self.read_only:
            options += " -c default_transaction_read_only=on"
        try:
            return psycopg.connect(
                **self.address.params, connect_timeout=CONNECT_TIMEOUT_SECONDS, options=options,
                passfile=NO_FILE, sslcert=NO_FILE, sslkey=NO_FILE, gssencmode="disable",
                application_name="envmanager",
            )
        except psycopg.Error as exc:
            # One answer for every failure (closed port, another protocol, wrong password, no such database),
            # so the form cannot be used to probe what listens where. The reason goes to the server log.
            logger.info("Connection to the metadata database %s failed: %s", self.address.label, _first_line(exc))
            raise MetadataDatabaseError(
                f"Could not connect to an Airflow metadata database at {self.address.label}: the server is not "
                "reachable, is not PostgreSQL, or refused the login (the server log says which)."
            ) from None

    def close(self) -> None:
        self._conn.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.engine == "sqlite" else sql

    def execute(self, sql: str, params=()) -> list[tuple]:
        """Run one statement and return its rows (empty for statements without rows)."""
        with self._refused("a query"):
            cursor = self._conn.cursor()
            cursor.execute(self._sql(sql), params)
            rows = cursor.fetchall() if cursor.description else []
            cursor.close()
            return rows

    def execute_write(self, sql: str, params=()) -> int:
        """Run one write statement in the open transaction; return the number of rows it changed."""
        with self._refused("a change"):
            cursor = self._conn.cursor()
            cursor.execute(self._sql(sql), params)
            count = cursor.rowcount
            cursor.close()
            return count

    def commit(self) -> None:
        """Commit the writes made so far (a batch of deletions)."""
        with self._refused("a change"):
            self._conn.commit()

    @contextmanager
    def _refused(self, what: str):
        """Turn the driver's error into MetadataDatabaseError (its first line only), rolling back first."""
        try:
            yield
        except (sqlite3.Error, psycopg.Error) as exc:
            self._rollback_quietly()
            raise MetadataDatabaseError(f"The Airflow metadata database refused {what}: {_first_line(exc)}") from None

    def _rollback_quietly(self) -> None:
        try:
            self._conn.rollback()
        except (sqlite3.Error, psycopg.Error):
            pass

    def table_columns(self, table: str) -> tuple[str, ...]:
        """Return the column names of `table`, or () when there is no such table."""
        if self.engine == "sqlite":
            return tuple(row[1] for row in self.execute(f"PRAGMA table_info({table})"))
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return tuple(row[0] for row in rows)

    def layout(self, table: str) -> Layout:
        """Detect the layout of Airflow's `connection` or `variable` table; refuse an unknown one."""
        columns = self.table_columns(table)
        if not columns:
            raise MetadataDatabaseError(
                f"The database has no '{table}' table: it does not look like an Airflow metadata database "
                "(or Airflow's migrations have not run)."
            )
        missing = [c for c in REQUIRED_COLUMNS[table] if c not in columns]
        if missing:
            raise MetadataDatabaseError(
                f"Airflow's '{table}' table has an unknown layout (missing {', '.join(missing)}); "
                "supported are the Airflow 2.x and 3.x layouts."
            )
        known = REQUIRED_COLUMNS[table] + OPTIONAL_COLUMNS[table]
        return Layout(table, tuple(c for c in known if c in columns))

    def airflow_version(self) -> str:
        """Return the Airflow version whose schema this is; refuse a database that Airflow did not make.

        Its `alembic_version` must hold a revision of a released Airflow 2.x or 3.x, and the `connection`,
        `variable` and `dag` tables must have Airflow's columns. Called before anything else is read.
        """
        if not self.table_columns("alembic_version"):
            raise MetadataDatabaseError(
                "The database has no 'alembic_version' table: it is not an Airflow metadata database "
                "(or Airflow's migrations have not run: `airflow db migrate`)."
            )
        revisions = [row[0] for row in self.execute("SELECT version_num FROM alembic_version")]
        if len(revisions) != 1 or revisions[0] not in AIRFLOW_REVISIONS:
            shown = ", ".join(repr(str(rev)[:40]) for rev in revisions[:3]) or "nothing"
            raise MetadataDatabaseError(
                f"The database's alembic_version holds {shown}, which is not the schema revision of a released "
                "Airflow 2.x or 3.x: it is not an Airflow metadata database envmanager can read."
            )
        for table in ("connection", "variable", "dag"):
            self.layout(table)
        return AIRFLOW_REVISIONS[revisions[0]]

    def identity(self) -> str:
        """Return what names this database whatever URL reaches it (one Deployment may claim it)."""
        if self.engine == "sqlite":
            info = os.stat(self.address.path)
            return f"sqlite:{info.st_dev}:{info.st_ino}"
        try:
            [(system_id, name)] = self.execute("SELECT system_identifier, current_database() FROM pg_control_system()")
            return f"postgresql:{system_id}/{name}"
        except MetadataDatabaseError:
            # pg_control_system() revoked from this user: the server's own address is the next best name.
            [(address, port, name)] = self.execute("SELECT inet_server_addr(), inet_server_port(), current_database()")
            return f"postgresql:{address}:{port}/{name}"

    def read_rows(self, layout: Layout, *, ids: list[int] | None = None) -> list[dict]:
        """Return every row of the table (or the given ids) as dicts of the layout's columns."""
        columns = ", ".join(_quote(c) for c in layout.columns)
        sql = f"SELECT {columns} FROM {layout.table}"
        params: tuple = ()
        if ids is not None:
            ids = [row_id for row_id in ids if ROW_ID_MIN <= row_id <= ROW_ID_MAX]  # no row has another id
            if not ids:
                return []
            sql += f" WHERE id IN ({', '.join(['%s'] * len(ids))})"
            params = tuple(ids)
        sql += " ORDER BY id"
        return [dict(zip(layout.columns, row, strict=True)) for row in self.execute(sql, params)]

    def count_rows(self, table: str) -> int:
        return self.execute(f"SELECT COUNT(*) FROM {table}")[0][0]

    def delete_if_unchanged(self, layout: Layout, row: dict) -> bool:
        """Delete the row only if every column still holds exactly what `row` says; return whether it did.

        The deletion is part of the open transaction: call `commit()` to make it stick.
        """
        equal = "IS" if self.engine == "sqlite" else "IS NOT DISTINCT FROM"
        conditions = " AND ".join(f"{_quote(column)} {equal} %s" for column in layout.columns)
        params = tuple(row[column] for column in layout.columns)
        return self.execute_write(f"DELETE FROM {layout.table} WHERE {conditions}", params) == 1

    def row_exists(self, layout: Layout, row_id: int) -> bool:
        return bool(self.execute(f"SELECT 1 FROM {layout.table} WHERE id = %s", (row_id,)))

    def rows_by_key(self, layout: Layout, keys: list[str]) -> dict[str, dict]:
        """Return {key: row} for the rows holding these connection ids / variable keys now."""
        if not keys:
            return {}
        key_column = KEY_COLUMNS[layout.table]
        columns = ", ".join(_quote(c) for c in layout.columns)
        rows = self.execute(
            f"SELECT {columns} FROM {layout.table} WHERE {_quote(key_column)} IN ({', '.join(['%s'] * len(keys))})",
            tuple(keys),
        )
        return {row[key_column]: row for row in (dict(zip(layout.columns, r, strict=True)) for r in rows)}

    def insert_row(self, layout: Layout, row: dict) -> bool:
        """Write a row back as it was read (its id too, unless another row took it); return whether the id was kept.

        Only the columns the table has now are written (the others take their default). Part of the open
        transaction: call `commit()`.
        """
        keep_id = not self.row_exists(layout, row["id"])
        columns = [c for c in layout.columns if c in row and (keep_id or c != "id")]
        self.execute_write(
            f"INSERT INTO {layout.table} ({', '.join(_quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            tuple(row[c] for c in columns),
        )
        return keep_id


def _quote(column: str) -> str:
    # "schema" and "key" are reserved words in some dialects; quoting is harmless for the others.
    return f'"{column}"'


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def _roll_back_hot_journal(path: str) -> None:
    """Let SQLite roll back a transaction whose process died (its hot journal), so read-only opens work again.

    A read-only connection cannot do that itself and fails every read ("attempt to write a readonly
    database"). The first read on a read-write connection rolls the journal back; if a live writer holds the
    file, SQLite waits for it instead and touches nothing.
    """
    recovery = sqlite3.connect(f"{Path(path).as_uri()}?mode=rw", uri=True, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        recovery.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        recovery.close()


@contextmanager
def open_metadata_database(url: str, *, read_only: bool = True):
    """Open the Airflow metadata database at `url` (if it is allowed and is Airflow's) for a `with` block."""
    database = MetadataDatabase(metadata_db_address(url), read_only=read_only)
    try:
        if database.identity() == envmanager_database_identity():  # the same database by another name
            raise MetadataDatabaseError("That is envmanager's own database, not an Airflow metadata database.")
        database.airflow_version()
        yield database
    finally:
        database.close()
