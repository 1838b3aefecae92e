"""A target's whole effective environment, as `GET /api/v1/environment` sent it, held for lookups.

The agent keeps one on disk (`environment.json`, with its ETag); the secrets backend keeps one in
memory and answers every lookup from it, found and not found alike.

Standard library only, Python 3.9 and newer.
"""

from __future__ import annotations

import json
import os

# Format 2 keeps each entry as [type, key, {field: value}]: a fifth of format 1's size, so a task
# process that starts by reading the file parses it in well under a millisecond per 1,000 objects.
FILE_FORMAT = 2


class SnapshotError(ValueError):
    """A body or file that is not an envmanager environment."""


class Snapshot:
    """The field values of one environment by (type, key), and the ETag they came with.

    Only the values are kept: they are all that Airflow's lookups and the agent's files need. The
    rest of the body (the target, Airflow's metrics settings, ...) is kept as `environment`.
    """

    def __init__(self, body: dict, etag: str | None):
        if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
            raise SnapshotError("not an envmanager environment (no 'entries' list)")
        rows = []
        for entry in body["entries"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
                raise SnapshotError("an entry of the environment is not an object with 'fields'")
            rows.append((entry.get("type"), entry.get("key"), entry_values(entry)))
        self._set(rows, {name: value for name, value in body.items() if name != "entries"}, etag)

    def _set(self, rows: list, environment: dict, etag: str | None) -> None:
        self.environment = environment
        self.etag = etag
        self._rows = rows  # in the order the server sent them (type, then key)
        self._values = {(kind, key): values for kind, key, values in rows}

    def __repr__(self):  # the values hold secrets
        return f"<Snapshot {len(self._values)} entries, etag {self.etag}>"

    def __len__(self):
        return len(self._values)

    @property
    def target(self) -> dict:
        return self.environment.get("target") or {}

    def get(self, kind: str, key: str) -> dict | None:
        """Return {field: value} of `kind` ("connection", "variable", "env", "metrics") and `key`, or None."""
        return self._values.get((kind, key))

    def items(self, kind: str) -> list:
        """Return [(key, {field: value})] of one type, in the order the server sent them."""
        return [(key, values) for row_kind, key, values in self._rows if row_kind == kind]

    # --- On disk ------------------------------------------------------------------------------

    def to_file_content(self) -> str:
        return json.dumps(
            {"format": FILE_FORMAT, "etag": self.etag, "environment": self.environment,
             "entries": [list(row) for row in self._rows]},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_file_content(cls, content: str) -> Snapshot:
        try:
            data = json.loads(content)
        except ValueError:
            raise SnapshotError("the snapshot file is not JSON") from None
        if isinstance(data, dict) and data.get("format") == 1:  # an agent not yet upgraded: the whole body
            return cls(data.get("environment"), data.get("etag"))
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise SnapshotError(f"the snapshot file is not format 1 or {FILE_FORMAT}")
        rows, environment = data.get("entries"), data.get("environment")
        if not isinstance(rows, list) or not isinstance(environment, dict) or not all(
            isinstance(row, list) and len(row) == 3 and isinstance(row[2], dict) for row in rows
        ):
            raise SnapshotError("the snapshot file's entries are not [type, key, values] rows")
        snapshot = cls.__new__(cls)
        snapshot._set([tuple(row) for row in rows], environment, data.get("etag"))
        return snapshot

    @classmethod
    def read(cls, path: str) -> Snapshot:
        """Read a snapshot file; OSError or SnapshotError if it cannot be."""
        with open(path, encoding="utf-8") as handle:
            return cls.from_file_content(handle.read())


def entry_values(entry: dict) -> dict:
    """Return {field name: value} of one API entry (secrets in clear, as the token may read them)."""
    return {name: field.get("value") for name, field in entry.get("fields", {}).items() if isinstance(field, dict)}


def write_atomically(path: str, content: str, *, mode: int = 0o600) -> None:
    """Replace `path` with `content` so that a reader sees the old file or the new one, never a part.

    The temporary file is created with `mode` from the start (it holds secrets) in the same folder,
    flushed to disk, then renamed over `path`.
    """
    import tempfile  # here: only the agent writes files, and a task process need not load it

    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=".envmanager-", dir=folder)
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
