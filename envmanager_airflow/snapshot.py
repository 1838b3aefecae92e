"""A target's whole effective environment, as `GET /api/v1/environment` sent it, held for lookups.

The agent keeps one on disk (`environment.json`, with its ETag); the secrets backend keeps one in
memory and answers every lookup from it, found and not found alike.

Standard library only, Python 3.9 and newer.
"""

from __future__ import annotations

import json
import os
import tempfile

FILE_FORMAT = 1


class SnapshotError(ValueError):
    """A body or file that is not an envmanager environment."""


class Snapshot:
    """The entries of one environment by (type, key), and the ETag they came with."""

    def __init__(self, body: dict, etag: str | None):
        if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
            raise SnapshotError("not an envmanager environment (no 'entries' list)")
        self.body = body
        self.etag = etag
        self._entries = {}
        for entry in body["entries"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
                raise SnapshotError("an entry of the environment is not an object with 'fields'")
            self._entries[(entry.get("type"), entry.get("key"))] = entry

    def __repr__(self):  # the entries hold secrets
        return f"<Snapshot {len(self._entries)} entries, etag {self.etag}>"

    def __len__(self):
        return len(self._entries)

    @property
    def target(self) -> dict:
        return self.body.get("target") or {}

    def get(self, kind: str, key: str) -> dict | None:
        """Return the entry of `kind` ("connection", "variable", "env", "metrics") and `key`, or None."""
        return self._entries.get((kind, key))

    def entries(self, kind: str | None = None) -> list:
        """Return the entries (of one type), in the order the server sent them (type, then key)."""
        return [entry for entry in self.body["entries"] if kind is None or entry.get("type") == kind]

    # --- On disk ------------------------------------------------------------------------------

    def to_file_content(self) -> str:
        return json.dumps({"format": FILE_FORMAT, "etag": self.etag, "environment": self.body}, ensure_ascii=False)

    @classmethod
    def from_file_content(cls, content: str) -> Snapshot:
        try:
            data = json.loads(content)
        except ValueError:
            raise SnapshotError("the snapshot file is not JSON") from None
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise SnapshotError(f"the snapshot file is not format {FILE_FORMAT}")
        return cls(data.get("environment"), data.get("etag"))

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
