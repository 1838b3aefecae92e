"""HTTP access to envmanager's read API, shared by the secrets backend and the agent.

One persistent HTTP/1.1 connection per process (keep-alive), re-opened after a fork or when the
server closed it. Redirects are never followed: one could carry the bearer token to another host.
The token is read from a file (re-read when the file changes, so it can be rotated) or given inline,
and never appears in a message, a log line or a repr.

Standard library only, Python 3.9 and newer: this runs where Airflow runs.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import ssl
import threading
import urllib.parse
import urllib.request

API_PREFIX = "/api/v1"
USER_AGENT = "envmanager-airflow/2"
# Names this process on every environment request, so envmanager knows which snapshot each reader
# holds (Migrate from Airflow waits for them before deleting a metastore row).
READER_HEADER = "X-Envmanager-Reader"


class Unavailable(Exception):
    """envmanager gave no usable answer (network, timeout, 5xx, refused token, not JSON)."""


class TokenSource:
    """The API token, inline or from a file that is re-read whenever it changes."""

    def __init__(self, *, token: str | None = None, token_file: str | None = None):
        if bool(token) == bool(token_file):
            raise ValueError("Give exactly one of 'token' or 'token_file'.")
        self._inline = token.strip() if token else None
        self.token_file = token_file
        self._stamp = None
        self._from_file = ""

    def __repr__(self):  # never the token
        return f"<TokenSource {'file ' + str(self.token_file) if self.token_file else 'inline'}>"

    def read(self) -> str:
        if self._inline:
            return self._inline
        try:
            stat = os.stat(self.token_file)
            stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                with open(self.token_file, encoding="utf-8") as handle:
                    self._from_file = handle.read().strip()
                self._stamp = stamp
        except OSError as exc:
            raise Unavailable(f"cannot read token_file {self.token_file}: {exc.strerror}") from None
        if not self._from_file:
            raise Unavailable(f"token_file {self.token_file} is empty")
        return self._from_file


class ApiResponse:
    """Status, ETag and body of one answer."""

    __slots__ = ("status", "etag", "body")

    def __init__(self, status: int, etag: str | None, body: bytes):
        self.status, self.etag, self.body = status, etag, body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Unavailable("the answer is not JSON") from None


def api_base(url: str) -> str:
    """Return envmanager's API base URL (`.../api/v1`) for a base URL given with or without it."""
    if not url or not str(url).startswith(("http://", "https://")):
        raise ValueError("'url' must be envmanager's http(s):// address.")
    base = str(url).rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


class ApiClient:
    """GET requests to the read API over one kept-alive connection; thread-safe."""

    def __init__(self, url: str, tokens: TokenSource, *, timeout: float = 3, ca_bundle: str | None = None,
                 reader_role: str = ""):
        self.api_url = api_base(url)
        # "agent": this process writes files other processes read (see `reader_id`).
        self.reader_role = reader_role
        parts = urllib.parse.urlsplit(self.api_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path
        self._tokens = tokens
        self.timeout = float(timeout)
        self.ca_bundle = ca_bundle
        self._ssl_context = ssl.create_default_context(cafile=ca_bundle) if self._https else None
        self._proxy = _proxy_for(parts.scheme, self._host)
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        self._pid = os.getpid()

    def __repr__(self):
        return f"<ApiClient {self.api_url}>"

    def set_url(self, url: str) -> None:
        """Point the client at another address (tests move it to a closed port)."""
        self.close()
        self.__init__(url, self._tokens, timeout=self.timeout, ca_bundle=self.ca_bundle, reader_role=self.reader_role)

    def get(self, path: str, *, etag: str | None = None) -> ApiResponse:
        """GET `path` (below /api/v1, already quoted); return 200/304/404 answers, raise Unavailable otherwise."""
        headers = {
            "Authorization": f"Bearer {self._tokens.read()}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if etag:
            headers["If-None-Match"] = etag
        if path.startswith("/environment"):
            headers[READER_HEADER] = reader_id(self.reader_role)
        with self._lock:
            response = self._send(self._path + path, headers)
        if response.status in (200, 304, 404):
            return response
        if response.status in (401, 403):
            raise Unavailable(f"HTTP {response.status}: the API token was refused; check token / token_file")
        if 300 <= response.status < 400:
            raise Unavailable(f"HTTP {response.status}: redirects are not followed; check 'url'")
        raise Unavailable(f"HTTP {response.status}")

    def _send(self, path: str, headers: dict) -> ApiResponse:
        for attempt in (1, 2):
            connection, reused = self._open()
            try:
                connection.request("GET", self._request_target(path), headers=headers)
                answer = connection.getresponse()
                body = answer.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                # A kept-alive connection the server closed meanwhile: GET is safe to send once more.
                if reused and attempt == 1:
                    continue
                raise Unavailable(f"{type(exc).__name__}: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                reason = "timed out" if isinstance(exc, TimeoutError) or "timed out" in str(exc) else str(exc)
                raise Unavailable(f"{type(exc).__name__}: {reason}") from None
            if answer.will_close:
                self.close()
            return ApiResponse(answer.status, answer.getheader("ETag"), body)
        raise Unavailable("the connection was closed twice")  # pragma: no cover - loop always returns

    def _open(self) -> tuple[http.client.HTTPConnection, bool]:
        if self._pid != os.getpid():
            # A forked child must not share its parent's socket: forget it, open its own.
            self._connection, self._pid = None, os.getpid()
        if self._connection is not None:
            return self._connection, True
        if self._proxy is None:
            host, port = self._host, self._port
        else:
            host, port = self._proxy
        if self._https:
            connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self._ssl_context)
            if self._proxy is not None:
                connection.set_tunnel(self._host, self._port)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        self._connection = connection
        return connection, False

    def _request_target(self, path: str) -> str:
        if self._proxy is not None and not self._https:
            return f"http://{self._host}:{self._port}{path}"  # absolute form, as a plain HTTP proxy expects
        return path

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None


_reader = {"pid": None, "id": ""}


def reader_id(role: str = "") -> str:
    """Return this process's reader id, `[<role>@]<host>:<pid>:<random>`; a forked child gets its own.

    The agent's role is "agent": envmanager then knows the snapshot reaches task processes through a
    file they re-read every `refresh_seconds`, and lets that time pass too before deleting.
    """
    if _reader["pid"] != os.getpid():
        host = re.sub(r"[^!-~]", "_", socket.gethostname() or "host")[:120].replace(":", "_").replace("@", "_")
        _reader["pid"], _reader["id"] = os.getpid(), f"{host}:{os.getpid()}:{secrets.token_hex(6)}"
    return f"{role}@{_reader['id']}" if role else _reader["id"]


def _proxy_for(scheme: str, host: str) -> tuple[str, int] | None:
    """Return (host, port) of the proxy the environment names for `scheme`, unless `host` bypasses it."""
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or 80
