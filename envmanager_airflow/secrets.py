"""An Airflow secrets backend that answers connections and variables from envmanager.

Configure it in `airflow.cfg` (or the matching `AIRFLOW__SECRETS__*` environment variables)::

    [secrets]
    backend = envmanager_airflow.secrets.EnvmanagerSecretsBackend
    backend_kwargs = {"url": "https://envmanager.example.com", "token_file": "/run/secrets/envmanager-token"}

Two modes:
- `snapshot` (default): the process holds the target's whole effective environment, loaded from
  `GET /api/v1/environment` and revalidated with `If-None-Match` at most every `refresh_seconds`
  (a 304 has no body). Every lookup, found or not, is answered from memory, so a key that lives in
  Airflow's metastore costs nothing extra. With `snapshot_file` (written by the agent,
  `python -m envmanager_airflow.agent sync`) the snapshot is read from disk instead of the API, so
  every task process on the host starts warm and makes no request at all. Each environment request
  names the process (`X-Envmanager-Reader`), so Migrate from Airflow deletes a metastore row only
  once this process holds the copy (or after its grace period).
- `lookup`: one request per key (kept-alive connection), answers cached for `cache_ttl_seconds`; for
  environments too large to hold in every process.

Behaviour Airflow relies on:
- An unknown key returns None, so Airflow goes on to environment variables and its metastore.
- envmanager unreachable (network, timeout, 5xx, refused token): the last snapshot (or cached value)
  keeps being served for `stale_if_error_seconds` after it was last confirmed, with a warning that
  never shows the token; after that, or with nothing read yet, lookups fall back to the next backend.
- Values come back exactly as stored (no trimming); keys are sent URL-encoded, whatever they hold.
- `team_name` (Airflow 3 multi-team) is accepted and not used: a token belongs to one Deployment or
  IDE project, and every team of that Deployment receives the same values (Migrate from Airflow
  leaves team-scoped rows in the metastore for that reason).

Standard library only, Python 3.9 and newer; importable without Django and, for tests, without Airflow.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
import time
import urllib.parse
from collections import OrderedDict

from envmanager_airflow import formats
from envmanager_airflow.client import ApiClient, TokenSource, Unavailable
from envmanager_airflow.snapshot import Snapshot, SnapshotError, entry_values

try:  # Airflow 2.x, and Airflow 3.x with airflow-core installed
    from airflow.secrets.base_secrets import BaseSecretsBackend
except ImportError:  # pragma: no cover - depends on what is installed
    try:  # Airflow 3.x workers that have the task SDK only
        from airflow.sdk.bases.secrets_backend import BaseSecretsBackend
    except ImportError:

        class BaseSecretsBackend:  # type: ignore[no-redef]
            """Stand-in when Airflow is not installed, so the lookups can be used and tested alone."""

            def get_config(self, key: str) -> str | None:
                return None


__all__ = ["EnvmanagerSecretsBackend"]

log = logging.getLogger(__name__)

MODES = ("snapshot", "lookup")
# A backend answers connections and variables only: it asks for those (the agent takes every type).
SNAPSHOT_PATH = "/environment?kinds=connections,variables"
_COLLECTIONS = {"connection": "connections", "variable": "variables"}


class EnvmanagerSecretsBackend(BaseSecretsBackend):
    """Resolve `BaseHook.get_connection()` and `Variable.get()` through envmanager.

    :param url: envmanager's base URL, e.g. ``https://envmanager.example.com`` (``/api/v1`` is added).
    :param token: the target's API token. Prefer ``token_file``: kwargs can end up in config dumps.
    :param token_file: a file holding the token; re-read when it changes, so a token can be rotated.
    :param mode: ``snapshot`` (default) or ``lookup`` (see the module documentation).
    :param refresh_seconds: snapshot mode: the longest a change made in envmanager takes to reach this
        process: the snapshot is revalidated (or the file re-checked) this often, each revalidation starting
        early by twice the time the slowest recent one took, so that its answer is in by then.
    :param snapshot_file: snapshot mode: the agent's ``environment.json``; read instead of the API
        (``url`` and a token are then optional: given too, the API is used while the file is unusable).
    :param cache_ttl_seconds: lookup mode: how long an answer is reused (0 disables the cache).
    :param not_found_ttl_seconds: lookup mode: how long "envmanager has no such key" is reused (default 0).
    :param timeout: seconds to wait for envmanager before falling back.
    :param stale_if_error_seconds: while envmanager (or the agent) cannot be read, keep serving what was
        last confirmed at most this long ago (0: fall back at once).
    :param retry_after_seconds: after a failure, skip envmanager for this long, so a down server does not
        cost every lookup a timeout.
    :param ca_bundle: a CA file to verify envmanager's TLS certificate with (default: the system's).
    :param max_cache_entries: lookup mode: bound on the cache size.
    :param clock: seconds on a monotonic clock (tests inject one); ``wall_clock`` likewise for file ages.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        token_file: str | None = None,
        mode: str = "snapshot",
        refresh_seconds: float = 5,
        snapshot_file: str | None = None,
        cache_ttl_seconds: float = 5,
        not_found_ttl_seconds: float = 0,
        timeout: float = 3,
        stale_if_error_seconds: float = 300,
        retry_after_seconds: float = 2,
        ca_bundle: str | None = None,
        max_cache_entries: int = 10_000,
        clock=None,
        wall_clock=None,
        **kwargs,
    ):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"EnvmanagerSecretsBackend: backend_kwargs 'mode' must be one of {', '.join(MODES)}.")
        if kwargs:
            log.warning("EnvmanagerSecretsBackend ignores unknown backend_kwargs: %s", ", ".join(sorted(kwargs)))
        self.mode = mode
        self.snapshot_file = snapshot_file if mode == "snapshot" else None
        self.client = None
        if url or not self.snapshot_file:
            try:
                tokens = TokenSource(token=token, token_file=token_file)
                self.client = ApiClient(str(url or ""), tokens, timeout=float(timeout), ca_bundle=ca_bundle)
            except ValueError as exc:
                raise ValueError(
                    f"EnvmanagerSecretsBackend needs backend_kwargs 'url' (envmanager's http(s):// address) and "
                    f"exactly one of 'token' or 'token_file' ({exc})"
                ) from None
        self.refresh = float(refresh_seconds)
        self.cache_ttl = float(cache_ttl_seconds)
        self.not_found_ttl = float(not_found_ttl_seconds)
        self.timeout = float(timeout)
        self.stale_if_error = float(stale_if_error_seconds)
        self.retry_after = float(retry_after_seconds)
        self.max_cache_entries = int(max_cache_entries)
        self._clock = clock or time.monotonic
        self._wall_clock = wall_clock or time.time
        self._lock = threading.Lock()
        self._skip_until = float("-inf")
        # Snapshot mode: what is held, when it was last confirmed current, and from which file version.
        self._snapshot: Snapshot | None = None
        self._checked_at = float("-inf")
        self._confirmed_at = float("-inf")
        self._file_identity = None
        self._fetch_seconds = 0.0  # how long the slowest recent revalidation took (the early start's measure)
        # Lookup mode: (collection, key) -> (time read, entry or None).
        self._cache: OrderedDict = OrderedDict()

    def __repr__(self):  # never the token
        where = self.client.api_url if self.client else self.snapshot_file
        return f"<EnvmanagerSecretsBackend {self.mode} {where}>"

    @property
    def api_url(self) -> str | None:
        return self.client.api_url if self.client else None

    # --- Airflow's interface ----------------------------------------------------------------------

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        """Return the connection in Airflow's JSON connection format, or None if envmanager has none."""
        values = self._values("connection", conn_id)
        return None if values is None else formats.connection_json(values)

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        """Return the variable's value, or None if envmanager has no such variable."""
        values = self._values("variable", key)
        return None if values is None else formats.variable_text(values)

    def get_config(self, key: str) -> str | None:
        """envmanager holds no Airflow configuration: always None."""
        return None

    def _values(self, kind: str, key: str) -> dict | None:
        """Return {field: value} of the (type, key) envmanager holds for the target, or None."""
        if self.mode == "lookup":
            entry = self._lookup(kind, key)
            return None if entry is None else entry_values(entry)
        snapshot = self.current_snapshot()
        return None if snapshot is None else snapshot.get(kind, key)

    # --- Snapshot mode ----------------------------------------------------------------------------

    def current_snapshot(self) -> Snapshot | None:
        """Return the snapshot to answer from, revalidating it when `refresh_seconds` have passed."""
        now = self._clock()
        with self._lock:
            if self._snapshot is not None and now - self._checked_at < self._refresh_due():
                return self._snapshot
            if now < self._skip_until:
                return self._still_servable(now)
            try:
                self._refresh(now)
            except Unavailable as exc:
                self._skip_until = now + self.retry_after
                served = self._still_servable(now)
                log.warning(
                    "envmanager secrets backend: cannot refresh the environment (%s); %s.", exc,
                    "serving the snapshot read earlier" if served is not None
                    else "falling back to the next secrets backend",
                )
                return served
            return self._snapshot

    def _refresh_due(self) -> float:
        """Seconds after the last revalidation started that the next one starts: `refresh_seconds`, less
        twice the slowest recent revalidation (at most half of it), so the change it brings is in on time."""
        return self.refresh - min(2 * self._fetch_seconds, self.refresh / 2)

    def _still_servable(self, now: float) -> Snapshot | None:
        if self._snapshot is not None and now - self._confirmed_at < self.stale_if_error:
            return self._snapshot
        self._snapshot = None
        return None

    def _refresh(self, now: float) -> None:
        if self.snapshot_file:
            try:
                self._refresh_from_file(now)
                return
            except Unavailable:
                if self.client is None:
                    raise
        self._refresh_from_api(now)

    def _refresh_from_api(self, now: float) -> None:
        etag = self._snapshot.etag if self._snapshot is not None else None
        response = self.client.get(SNAPSHOT_PATH, etag=etag)
        if response.status == 304 and self._snapshot is not None:
            pass
        elif response.status == 200:
            try:
                self._snapshot = Snapshot(response.json(), response.etag)
            except SnapshotError as exc:
                raise Unavailable(str(exc)) from None
        else:
            raise Unavailable(f"HTTP {response.status} for the environment")
        took = max(self._clock() - now, 0.0)
        # A full answer sets the measure; a 304 (much quicker) only raises it, so a body still fits in time.
        self._fetch_seconds = took if response.status == 200 else max(self._fetch_seconds, took)
        self._checked_at = self._confirmed_at = now

    def _refresh_from_file(self, now: float) -> None:
        """Use the agent's snapshot file: re-read it when it was replaced; its mtime says when it was confirmed."""
        try:
            stat = os.stat(self.snapshot_file)
        except OSError as exc:
            raise Unavailable(f"cannot read snapshot_file {self.snapshot_file}: {exc.strerror}") from None
        age = self._wall_clock() - stat.st_mtime
        if age > self.stale_if_error:
            if self._file_identity is not None:
                self._confirmed_at = min(self._confirmed_at, now - age)  # what is held is no newer than the file
            raise Unavailable(
                f"snapshot_file {self.snapshot_file} was last refreshed {age:.0f} s ago; is the agent running?"
            )
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if identity != self._file_identity or self._snapshot is None:
            try:
                self._snapshot = Snapshot.read(self.snapshot_file)
            except (OSError, SnapshotError) as exc:
                raise Unavailable(f"snapshot_file {self.snapshot_file}: {exc}") from None
            self._file_identity = identity
        self._checked_at = now
        # The agent touches the file on every successful revalidation: its age is the snapshot's age.
        self._confirmed_at = now - max(age, 0.0)

    # --- Lookup mode ------------------------------------------------------------------------------

    def _lookup(self, kind: str, key: str) -> dict | None:
        collection = _COLLECTIONS[kind]
        cache_key = (collection, key)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(cache_key)
            skip = now < self._skip_until
        if cached is not None and now - cached[0] < self._ttl(cached[1]):
            return cached[1]
        if skip:
            return self._stale(cached, now)
        try:
            entry = self._fetch(collection, key)
        except Unavailable as exc:
            with self._lock:
                self._skip_until = now + self.retry_after
            stale = self._stale(cached, now)
            log.warning(
                "envmanager secrets backend: cannot read %s '%s' from %s (%s); %s.",
                kind, key, self.api_url, exc,
                "serving the value read earlier" if stale is not None else "falling back to the next secrets backend",
            )
            return stale
        if self._ttl(entry) > 0:
            with self._lock:
                self._cache[cache_key] = (now, entry)
                self._cache.move_to_end(cache_key)
                while len(self._cache) > self.max_cache_entries:
                    self._cache.popitem(last=False)
        return entry

    def _ttl(self, entry) -> float:
        return self.cache_ttl if entry is not None else self.not_found_ttl

    def _stale(self, cached, now: float):
        if cached is not None and now - cached[0] < self.stale_if_error:
            return cached[1]
        return None

    def _fetch(self, collection: str, key: str) -> dict | None:
        """Return the entry, or None for 404; raise Unavailable for anything else."""
        response = self.client.get(f"/{collection}/{quote_key(key)}")
        if response.status == 404:
            return None
        if response.status != 200:
            raise Unavailable(f"HTTP {response.status}")
        entry = response.json()
        if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
            raise Unavailable("the answer is not an envmanager entry")
        return entry

    def clear_cache(self) -> None:
        """Forget everything held (tests, or after rotating a token)."""
        with self._lock:
            self._cache.clear()
            self._snapshot = None
            self._checked_at = self._confirmed_at = float("-inf")
            self._file_identity = None
            self._fetch_seconds = 0.0
            self._skip_until = float("-inf")



# Airflow calls a backend's lookups through `call_secrets_backend_method`, which reads the method's
# signature on every call (does it take `team_name`?). Stated once here, that costs 6 µs instead of
# 40 µs a lookup: a key that lives in the metastore then costs next to nothing extra with envmanager in front.
for _name in ("get_conn_value", "get_variable", "get_config"):
    _method = getattr(EnvmanagerSecretsBackend, _name)
    _method.__signature__ = inspect.signature(_method)
del _name, _method

def quote_key(key: str) -> str:
    """Return `key` as one URL path segment: UTF-8, every byte but A-Z a-z 0-9 _ . - ~ percent-encoded.

    Connection ids may hold '/', ':', '#', '(' and Unicode letters; '/' becomes %2F so the key stays one
    segment. A key of only dots ('.', '..') is written %2E...: a proxy or client would otherwise resolve
    it as a relative path segment. envmanager decodes the path before matching, so it reads the key back.
    """
    quoted = urllib.parse.quote(key, safe="")
    return quoted.replace(".", "%2E") if set(key) <= {"."} else quoted
