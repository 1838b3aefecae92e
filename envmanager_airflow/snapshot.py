"""A target's whole effective environment, as `GET /api/v1/environment` sent it, held for lookups.

The agent keeps one on disk (`environment.json`, with its ETag); the secrets backend keeps one in
memory and answers every lookup from it, found and not found alike.

Standard library only, Python 3.9 and newer.
"""

from __future__ import annotations

import json
import os

# Format 3 keeps the entries as {type: {key: {field: value}}}. Python's JSON decoder shares repeated
# object keys but builds every repeated value anew, so a type named once per key (format 2's
# [type, key, values] rows) costs a string and a list an entry: keyed by type, 1,000 objects parse in
# about half the time (0.6 ms against 1.1 ms on the 2-core development machine). A task process that
# starts with `snapshot_file` pays this parse before its first lookup.
FILE_FORMAT = 3


class SnapshotError(ValueError):
    """A body or file that is not an envmanager environment."""


class Snapshot:
    """The field values of one environment by type and key, and the ETag they came with.

    Only the values are kept: they are all that Airflow's lookups and the agent's files need. The
    rest of the body (the target, Airflow's metrics settings, ...) is kept as `environment`.
    """

    def __init__(self, body: dict, etag: str | None):
        if not isinstance(body, dict) or not isinstance(body.get("entries"), list):
            raise SnapshotError("not an envmanager environment (no 'entries' list)")
        by_kind = {}
        for entry in body["entries"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
                raise SnapshotError("an entry of the environment is not an object with 'fields'")
            by_kind.setdefault(entry.get("type"), {})[entry.get("key")] = entry_values(entry)
        self._set(by_kind, {name: value for name, value in body.items() if name != "entries"}, etag)

    def _set(self, by_kind: dict, environment: dict, etag: str | None) -> None:
        self.environment = environment
        self.etag = etag
        self._by_kind = by_kind  # {type: {key: values}}, keys in the order the server sent them

    def __repr__(self):  # the values hold secrets
        return f"<Snapshot {len(self)} entries, etag {self.etag}>"

    def __len__(self):
        return sum(len(by_key) for by_key in self._by_kind.values())

    @property
    def target(self) -> dict:
        return self.environment.get("target") or {}

    def get(self, kind: str, key: str) -> dict | None:
        """Return {field: value} of `kind` ("connection", "variable", "env", "metrics") and `key`, or None."""
        by_key = self._by_kind.get(kind)
        return None if by_key is None else by_key.get(key)

    def items(self, kind: str) -> list:
        """Return [(key, {field: value})] of one type, in the order the server sent them."""
        return list(self._by_kind.get(kind, {}).items())

    # --- On disk ------------------------------------------------------------------------------

    def to_file_content(self) -> str:
        return json.dumps(
            {"format": FILE_FORMAT, "etag": self.etag, "environment": self.environment, "entries": self._by_kind},
            ensure_ascii=False, separators=(",", ":"),
        )

    @classmethod
    def from_file_content(cls, content: str) -> Snapshot:
        """Read what `to_file_content` wrote, or what an agent not yet upgraded wrote (formats 1 and 2)."""
        try:
            data = json.loads(content)
        except ValueError:
            raise SnapshotError("the snapshot file is not JSON") from None
        file_format = data.get("format") if isinstance(data, dict) else None
        if file_format == 1:  # the whole body
            return cls(data.get("environment"), data.get("etag"))
        if file_format not in (2, FILE_FORMAT):
            raise SnapshotError(f"the snapshot file is not format 1, 2 or {FILE_FORMAT}")
        entries, environment = data.get("entries"), data.get("environment")
        if file_format == 2:  # [[type, key, values], ...]
            if not isinstance(entries, list) or not all(isinstance(row, list) and len(row) == 3 for row in entries):
                raise SnapshotError("the snapshot file's entries are not [type, key, values] rows")
            by_kind = {}
            for kind, key, values in entries:
                by_kind.setdefault(kind, {})[key] = values
            entries = by_kind
        if not isinstance(environment, dict) or not isinstance(entries, dict) or not all(
            isinstance(by_key, dict) and all(isinstance(values, dict) for values in by_key.values())
            for by_key in entries.values()
        ):
            raise SnapshotError("the snapshot file's entries are not {type: {key: {field: value}}}")
        snapshot = cls.__new__(cls)
        snapshot._set(entries, environment, data.get("etag"))
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
