"""Read and delete connections and variables in a Deployment's own Airflow metadata database.

No Airflow import and no Django models: plain DB-API connections (sqlite3, psycopg) to a database that
Airflow owns. Reading is read-only; the only write is `delete_if_unchanged`, which removes one row only if
every column still holds what was read.
"""

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import psycopg

CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 15_000

# Columns every supported Airflow version (2.x and 3.x) has; the rest are read when present.
REQUIRED_COLUMNS = {
    "connection": ("id", "conn_id", "conn_type", "host", "schema", "login", "password", "port", "extra"),
    "variable": ("id", "key", "val"),
}
OPTIONAL_COLUMNS = {
    "connection": ("description", "is_encrypted", "is_extra_encrypted", "team_name", "team_id"),
    "variable": ("description", "is_encrypted", "team_name", "team_id"),
}


class MetadataDatabaseError(Exception):
    """The metadata database cannot be used: unreachable, refused, timed out, or an unknown layout.

    Messages are safe to show: they never contain the URL's password.
    """


@dataclass(frozen=True)
class Layout:
    """Which columns one table has (detected from the database itself)."""

    table: str
    columns: tuple[str, ...]

    def has(self, column: str) -> bool:
        return column in self.columns


def _safe_url(url: str) -> str:
    """Return the URL without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def _sqlite_path(url: str) -> str:
    # sqlite:////abs/path (Airflow's form) and sqlite:///relative/path
    path = url.split("://", 1)[1]
    if path.startswith("/"):
        path = path[1:]
    return unquote(path) or ":memory:"


class MetadataDatabase:
    """An open connection to an Airflow metadata database (PostgreSQL or SQLite)."""

    def __init__(self, url: str, *, read_only: bool):
        self.url = url
        scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
        self.engine = {"postgres": "postgresql", "postgresql": "postgresql", "sqlite": "sqlite"}.get(scheme)
        if self.engine is None:
            raise MetadataDatabaseError(
                "The Airflow metadata database URL must be a postgresql:// or sqlite:// URL."
            )
        self.read_only = read_only
        self._conn = self._connect()

    def _connect(self):
        try:
            if self.engine == "sqlite":
                path = _sqlite_path(self.url)
                mode = "ro" if self.read_only else "rw"  # never create a database that is not there
                return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=CONNECT_TIMEOUT_SECONDS)
            dsn = "postgresql://" + self.url.split("://", 1)[1]
            options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
            if self.read_only:
                options += " -c default_transaction_read_only=on"
            return psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS, options=options)
        except (sqlite3.Error, psycopg.Error) as exc:
            raise MetadataDatabaseError(
                f"Cannot open the Airflow metadata database at {_safe_url(self.url)}: {_first_line(exc)}"
            ) from None

    def close(self) -> None:
        self._conn.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.engine == "sqlite" else sql

    def execute(self, sql: str, params=()) -> list[tuple]:
        """Run one statement and return its rows (empty for statements without rows)."""
        try:
            cursor = self._conn.cursor()
            cursor.execute(self._sql(sql), params)
            rows = cursor.fetchall() if cursor.description else []
            cursor.close()
            return rows
        except (sqlite3.Error, psycopg.Error) as exc:
            self._rollback_quietly()
            raise MetadataDatabaseError(f"The Airflow metadata database refused a query: {_first_line(exc)}") from None

    def execute_write(self, sql: str, params=()) -> int:
        """Run one write statement in the open transaction; return the number of rows it changed."""
        try:
            cursor = self._conn.cursor()
            cursor.execute(self._sql(sql), params)
            count = cursor.rowcount
            cursor.close()
            return count
        except (sqlite3.Error, psycopg.Error) as exc:
            self._rollback_quietly()
            raise MetadataDatabaseError(f"The Airflow metadata database refused a change: {_first_line(exc)}") from None

    def commit(self) -> None:
        """Commit the writes made so far (a batch of deletions)."""
        try:
            self._conn.commit()
        except (sqlite3.Error, psycopg.Error) as exc:
            self._rollback_quietly()
            raise MetadataDatabaseError(f"The Airflow metadata database refused a change: {_first_line(exc)}") from None

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

    def read_rows(self, layout: Layout, *, ids: list[int] | None = None) -> list[dict]:
        """Return every row of the table (or the given ids) as dicts of the layout's columns."""
        columns = ", ".join(_quote(c) for c in layout.columns)
        sql = f"SELECT {columns} FROM {layout.table}"
        params: tuple = ()
        if ids is not None:
            if not ids:
                return []
            sql += f" WHERE id IN ({', '.join(['%s'] * len(ids))})"
            params = tuple(ids)
        sql += " ORDER BY id"
        return [dict(zip(layout.columns, row)) for row in self.execute(sql, params)]

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


def _quote(column: str) -> str:
    # "schema" and "key" are reserved words in some dialects; quoting is harmless for the others.
    return f'"{column}"'


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


@contextmanager
def open_metadata_database(url: str, *, read_only: bool = True):
    """Open the metadata database at `url` for the duration of a `with` block."""
    database = MetadataDatabase(url, read_only=read_only)
    try:
        yield database
    finally:
        database.close()
