"""An Airflow secrets backend that reads connections and variables from envmanager's read API.

Configure it in `airflow.cfg` (or the matching `AIRFLOW__SECRETS__*` environment variables)::

    [secrets]
    backend = envmanager_airflow.secrets.EnvmanagerSecretsBackend
    backend_kwargs = {"url": "https://envmanager.example.com", "token_file": "/run/secrets/envmanager-token",
                      "cache_ttl_seconds": 5, "timeout": 3}

Behaviour Airflow relies on:
- An unknown key returns None, so Airflow goes on to environment variables and its metastore.
- A network error, a timeout, a 5xx or a rejected token logs a warning (never the token) and
  falls back the same way; a value read less than `stale_if_error_seconds` ago is served
  meanwhile, so a blip of envmanager does not fail Dags that were just reading it.
- Answers (found and not found) are cached in the process for `cache_ttl_seconds` (default 5):
  a value changed or migrated in envmanager reaches Dags within that time.
- Values come back exactly as stored (no trimming); keys are sent URL-encoded, whatever they hold.
- `team_name` (Airflow 3 multi-team) is accepted and ignored: envmanager has no teams, so every team of
  the Deployment gets the same answer for a key (team-scoped rows are therefore not migrated).

Standard library only; importable without Django and, for tests, without Airflow.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict

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

API_PREFIX = "/api/v1"
USER_AGENT = "envmanager-airflow/1"
# The connection fields Airflow's Connection.from_json accepts, in `airflow connections export` order.
CONNECTION_FIELDS = ("conn_type", "description", "login", "password", "host", "port", "schema", "extra")
_MISSING = object()


class _Unavailable(Exception):
    """envmanager gave no usable answer (network, timeout, 5xx, bad token, bad JSON)."""


class EnvmanagerSecretsBackend(BaseSecretsBackend):
    """Resolve `BaseHook.get_connection()` and `Variable.get()` through envmanager.

    :param url: envmanager's base URL, e.g. ``https://envmanager.example.com`` (``/api/v1`` is added).
    :param token: the Deployment's API token. Prefer ``token_file``: kwargs can end up in config dumps.
    :param token_file: a file holding the token; re-read when it changes, so a token can be rotated.
    :param cache_ttl_seconds: how long an answer is reused in this process (0 disables the cache).
    :param not_found_ttl_seconds: how long "envmanager has no such key" is reused (default 0: asked
        again each time). Kept apart because Migrate from Airflow deletes a row from the metastore right
        after envmanager has it: a cached miss could then send a Dag to the metastore after its row is gone.
    :param timeout: seconds to wait for envmanager before falling back.
    :param stale_if_error_seconds: while envmanager cannot be reached, keep serving a value read
        at most this long ago (0: fall back at once).
    :param retry_after_seconds: after a failure, skip envmanager for this long (answers come from
        the cache or the next backend), so a down server does not cost every lookup a timeout.
    :param ca_bundle: a CA file to verify envmanager's TLS certificate with (default: the system's).
    :param max_cache_entries: bound on the cache size.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        token_file: str | None = None,
        cache_ttl_seconds: float = 5,
        not_found_ttl_seconds: float = 0,
        timeout: float = 3,
        stale_if_error_seconds: float = 300,
        retry_after_seconds: float = 2,
        ca_bundle: str | None = None,
        max_cache_entries: int = 10_000,
        **kwargs,
    ):
        super().__init__()
        if not url or not str(url).startswith(("http://", "https://")):
            raise ValueError("EnvmanagerSecretsBackend needs backend_kwargs 'url': envmanager's http(s):// address.")
        if bool(token) == bool(token_file):
            raise ValueError("EnvmanagerSecretsBackend needs exactly one of backend_kwargs 'token' or 'token_file'.")
        if kwargs:
            log.warning("EnvmanagerSecretsBackend ignores unknown backend_kwargs: %s", ", ".join(sorted(kwargs)))
        base = str(url).rstrip("/")
        self.api_url = base if base.endswith(API_PREFIX) else base + API_PREFIX
        self._token = token.strip() if token else None
        self.token_file = token_file
        self._token_file_stamp = None
        self._file_token = ""
        self.cache_ttl = float(cache_ttl_seconds)
        self.not_found_ttl = float(not_found_ttl_seconds)
        self.timeout = float(timeout)
        self.stale_if_error = float(stale_if_error_seconds)
        self.retry_after = float(retry_after_seconds)
        self.max_cache_entries = int(max_cache_entries)
        self._cache: OrderedDict[tuple[str, str], tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._skip_until = 0.0
        # Proxies from the environment still apply; redirects are refused (see _NoRedirect).
        handlers = [_NoRedirect()]
        if ca_bundle:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_bundle)))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self):  # never the token
        return f"<EnvmanagerSecretsBackend {self.api_url}>"

    # --- Airflow's interface ----------------------------------------------------------------------

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        """Return the connection as Airflow's JSON connection format, or None if envmanager has none."""
        entry = self._lookup("connections", conn_id)
        if entry is None:
            return None
        values = {name: field.get("value") for name, field in entry.get("fields", {}).items()}
        connection = {name: values.get(name) for name in CONNECTION_FIELDS if values.get(name) not in (None, "")}
        if isinstance(connection.get("extra"), dict):
            connection["extra"] = json.dumps(connection["extra"])
        return json.dumps(connection)

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        """Return the variable's value, or None if envmanager has no such variable."""
        entry = self._lookup("variables", key)
        if entry is None:
            return None
        value = entry.get("fields", {}).get("value", {}).get("value")
        return "" if value is None else str(value)

    def get_config(self, key: str) -> str | None:
        """envmanager holds no Airflow configuration: always None."""
        return None

    # --- Cache and HTTP ---------------------------------------------------------------------------

    def _lookup(self, collection: str, key: str):
        cache_key = (collection, key)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(cache_key)
            skip = now < self._skip_until
        if cached is not None and now - cached[0] < self._ttl(cached[1]):
            return cached[1]
        if skip:
            return self._stale(cached, now)
        try:
            value = self._fetch(collection, key)
        except _Unavailable as exc:
            with self._lock:
                self._skip_until = time.monotonic() + self.retry_after
            stale = self._stale(cached, now)
            log.warning(
                "envmanager secrets backend: cannot read %s '%s' from %s (%s); %s.",
                collection[:-1], key, self.api_url, exc,
                "serving the value read earlier" if stale is not None else "falling back to the next secrets backend",
            )
            return stale
        if self._ttl(value) > 0:
            with self._lock:
                self._cache[cache_key] = (time.monotonic(), value)
                self._cache.move_to_end(cache_key)
                while len(self._cache) > self.max_cache_entries:
                    self._cache.popitem(last=False)
        return value

    def _ttl(self, value) -> float:
        return self.cache_ttl if value is not None else self.not_found_ttl

    def _stale(self, cached, now: float):
        if cached is not None and now - cached[0] < self.stale_if_error:
            return cached[1]
        return None

    def _read_token(self) -> str:
        if self._token:
            return self._token
        try:
            stat = os.stat(self.token_file)
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._token_file_stamp:
                with open(self.token_file, encoding="utf-8") as handle:
                    self._file_token = handle.read().strip()
                self._token_file_stamp = stamp
        except OSError as exc:
            raise _Unavailable(f"cannot read token_file {self.token_file}: {exc.strerror}") from None
        if not self._file_token:
            raise _Unavailable(f"token_file {self.token_file} is empty")
        return self._file_token

    def _fetch(self, collection: str, key: str):
        """Return the entry dict, or None for 404; raise _Unavailable for anything else."""
        url = f"{self.api_url}/{collection}/{quote_key(key)}"
        request = urllib.request.Request(
            url,
            headers={
                "Authorization": f"Bearer {self._read_token()}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                return None
            if exc.code in (401, 403):
                raise _Unavailable(
                    f"HTTP {exc.code}: the API token was refused; check backend_kwargs token/token_file"
                ) from None
            raise _Unavailable(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _Unavailable(f"{type(reason).__name__}: {reason}") from None
        try:
            entry = json.loads(body)
        except ValueError:
            raise _Unavailable("the answer is not JSON") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
            raise _Unavailable("the answer is not an envmanager entry")
        return entry

    def clear_cache(self) -> None:
        """Forget every cached answer (tests, or after rotating a token)."""
        with self._lock:
            self._cache.clear()
            self._skip_until = 0.0


def quote_key(key: str) -> str:
    """Return `key` as one URL path segment: UTF-8, every byte but A-Z a-z 0-9 _ . - ~ percent-encoded.

    Connection ids may hold '/', ':', '#', '(' and Unicode letters; '/' becomes %2F so the key stays one
    segment. A key of only dots ('.', '..') is written %2E...: a proxy or client would otherwise resolve
    it as a relative path segment. envmanager decodes the path before matching, so it reads the key back.
    """
    quoted = urllib.parse.quote(key, safe="")
    return quoted.replace(".", "%2E") if set(key) <= {"."} else quoted


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: following one could send the bearer token to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
