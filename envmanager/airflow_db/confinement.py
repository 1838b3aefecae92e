"""Which Airflow metadata database URLs envmanager may open: the one place that decides.

A URL is parsed into a `MetadataDatabaseAddress` here and nowhere else: the Deployment services (and so
the forms, commands and admin that call them) check a URL with `metadata_db_address` before storing it,
and `database.open_metadata_database` opens nothing but an address made here. What an address may be:

- PostgreSQL: only the parameters host, port, dbname, user, password, sslmode and sslrootcert; a host
  name or IP address (no socket folder, no list of hosts); no control characters anywhere (they would
  reach whatever listens on that port); never envmanager's own database.
- SQLite: an absolute path, no URL parameters (they used to reach SQLite's own URI options), resolved
  through every symlink, that must be a regular file that already exists (never created, no FIFO, device
  or folder).
- Either must match `settings.ENVMANAGER_METADATA_DB_ALLOWED` (glob patterns; `*` stays within one path
  segment, `**` crosses them). Without it: PostgreSQL on any host, and SQLite under `<VAR_DIR>/airflow/`.

Messages never contain the URL's password and do not say more than needed: a SQLite path outside the
allowed folders is refused before anything looks at the file, so existence cannot be probed.
"""

import ipaddress
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as envmanager_connection

DEFAULT_PG_PORT = 5432
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
QUERY_PARAMETERS = ("host", "port", "dbname", "user", "password", "sslmode", "sslrootcert")
MAX_PART_LENGTH = 255
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LOOPBACK = {"localhost", "127.0.0.1", "::1", ""}
NOT_ALLOWED_HINT = "an administrator can allow it with ENVMANAGER_METADATA_DB_ALLOWED"
# One Deployment per metadata database (`Deployment.metadata_db_identity` is unique). The other Deployment
# is not named: it may be in a Workspace the user cannot see.
ALREADY_CLAIMED = (
    "That database is already the metadata database of another Deployment: each Airflow metadata database "
    "belongs to one Deployment."
)


class MetadataDatabaseError(Exception):
    """The metadata database cannot be used: not allowed, unreachable, refused, or not Airflow's.

    Messages are safe to show: they never contain the URL's password.
    """


@dataclass(frozen=True)
class MetadataDatabaseAddress:
    """A confined metadata database: PostgreSQL connection parameters, or a SQLite file's resolved path."""

    engine: str  # "postgresql" | "sqlite"
    path: str = ""  # SQLite: resolved absolute path of an existing regular file
    params: dict = field(default_factory=dict, repr=False)  # PostgreSQL: host, port, dbname, user, password, ...

    @property
    def label(self) -> str:
        """Return the address without its password, for messages."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.path}"
        user = f"{self.params['user']}@" if self.params.get("user") else ""
        return f"postgresql://{user}{_host_for_url(self.params['host'])}:{self.params['port']}/{self.params['dbname']}"


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def metadata_db_address(url: str) -> MetadataDatabaseAddress:
    """Return the address `url` names if envmanager may open it; MetadataDatabaseError saying why not."""
    if not isinstance(url, str) or "://" not in url:
        raise MetadataDatabaseError("The Airflow metadata database URL must be a postgresql:// or sqlite:// URL.")
    if _CONTROL.search(url):
        raise MetadataDatabaseError("The Airflow metadata database URL contains control characters.")
    scheme = url.split("://", 1)[0].lower()
    base = scheme.split("+", 1)[0]
    if base in ("postgres", "postgresql"):
        return _postgresql_address(url)
    if base == "sqlite":
        return _sqlite_address(url)
    raise MetadataDatabaseError("The Airflow metadata database URL must start with postgresql:// or sqlite://.")


# --- PostgreSQL -------------------------------------------------------------------------------------


def _postgresql_address(url: str) -> MetadataDatabaseAddress:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise MetadataDatabaseError("The PostgreSQL URL is malformed (check the host and port).") from None
    if parts.fragment:
        raise MetadataDatabaseError("The PostgreSQL URL must not have a #fragment.")
    params: dict[str, str | int] = {}
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password is not None:
        params["password"] = unquote(parts.password)
    if parts.hostname:
        params["host"] = parts.hostname
    if port is not None:
        params["port"] = port
    if parts.path.strip("/"):
        params["dbname"] = unquote(parts.path[1:])
    params.update(_query_parameters(parts.query))
    return _checked_postgresql(params)


def _query_parameters(query: str) -> dict:
    params = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise MetadataDatabaseError("The PostgreSQL URL's parameters are malformed.") from None
    for name, value in pairs:
        if name not in QUERY_PARAMETERS:
            # The name is not secret; its value might be.
            raise MetadataDatabaseError(
                f"The PostgreSQL URL parameter '{name[:40]}' is not accepted; only "
                f"{', '.join(QUERY_PARAMETERS)} are."
            )
        if name in params:
            raise MetadataDatabaseError(f"The PostgreSQL URL parameter '{name}' is given twice.")
        params[name] = value
    return params


def _checked_postgresql(params: dict) -> MetadataDatabaseAddress:
    for name, value in params.items():
        if isinstance(value, str) and (_CONTROL.search(value) or len(value) > MAX_PART_LENGTH):
            what = "password" if name == "password" else name
            raise MetadataDatabaseError(
                f"The PostgreSQL {what} is longer than {MAX_PART_LENGTH} characters or contains control characters."
            )
    host = str(params.get("host") or "").lower()
    if not host:
        raise MetadataDatabaseError("The PostgreSQL URL needs a host (a name or an IP address).")
    if not _is_host(host):
        raise MetadataDatabaseError(
            "The PostgreSQL host must be one host name or IP address (no socket folder, no list of hosts)."
        )
    port = params.get("port", DEFAULT_PG_PORT)
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise MetadataDatabaseError("The PostgreSQL port must be a number from 1 to 65535.") from None
    if not 1 <= port <= 65535:
        raise MetadataDatabaseError("The PostgreSQL port must be a number from 1 to 65535.")
    if not params.get("dbname"):
        raise MetadataDatabaseError("The PostgreSQL URL needs a database name: postgresql://user@host:5432/airflow.")
    if not params.get("user"):
        raise MetadataDatabaseError("The PostgreSQL URL needs a user name: postgresql://user@host:5432/airflow.")
    checked = {**params, "host": host, "port": port}
    if (sslmode := params.get("sslmode")) is not None and sslmode not in SSL_MODES:
        raise MetadataDatabaseError(f"sslmode must be one of: {', '.join(SSL_MODES)}.")
    if (root := params.get("sslrootcert")) is not None and root != "system":
        checked["sslrootcert"] = _ca_file(root)
    address = MetadataDatabaseAddress("postgresql", params=checked)
    if _is_envmanager_postgresql(address):
        raise MetadataDatabaseError("That is envmanager's own database, not an Airflow metadata database.")
    _require_allowed(address.label, _pg_subject(address))
    return address


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOSTNAME.match(host))
    return True


def _ca_file(path: str) -> str:
    """Return the resolved CA file for sslrootcert: "system", or a file in `<VAR_DIR>/airflow/`."""
    folder = Path(os.path.realpath(airflow_files_folder()))
    resolved = Path(os.path.realpath(path)) if os.path.isabs(path) else None
    if resolved is None or folder not in resolved.parents or not resolved.is_file():
        raise MetadataDatabaseError(
            f"sslrootcert must be 'system' or a certificate file in {folder}/ on the envmanager server."
        )
    return str(resolved)


def _pg_subject(address: MetadataDatabaseAddress) -> str:
    params = address.params
    return f"postgresql://{_host_for_url(params['host'])}:{params['port']}/{params['dbname']}"


def _is_envmanager_postgresql(address: MetadataDatabaseAddress) -> bool:
    """Return whether the address names envmanager's own database (the identity check catches aliases)."""
    own = envmanager_connection.settings_dict
    if envmanager_connection.vendor != "postgresql":
        return False
    own_host = str(own.get("HOST") or "").lower()
    same_host = own_host == address.params["host"] or {own_host, address.params["host"]} <= _LOOPBACK
    same_port = int(own.get("PORT") or DEFAULT_PG_PORT) == address.params["port"]
    return same_host and same_port and own.get("NAME") == address.params["dbname"]


def envmanager_database_identity() -> str | None:
    """Return envmanager's own database in the form of `MetadataDatabase.identity`, or None (in memory)."""
    own = envmanager_connection.settings_dict
    return _own_identity(envmanager_connection.vendor, own.get("NAME"), own.get("HOST"), own.get("PORT"))


@lru_cache(maxsize=8)
def _own_identity(vendor: str, name, host, port) -> str | None:
    # Cached per database settings: what a server and database are called does not change while we run.
    if vendor == "postgresql":
        with envmanager_connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    cursor.execute("SELECT system_identifier, current_database() FROM pg_control_system()")
                    system_id, current = cursor.fetchone()
                return f"postgresql:{system_id}/{current}"
            except DatabaseError:
                cursor.execute("SELECT inet_server_addr(), inet_server_port(), current_database()")
                address, server_port, current = cursor.fetchone()
                return f"postgresql:{address}:{server_port}/{current}"
    name = str(name or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    info = os.stat(name)
    return f"sqlite:{info.st_dev}:{info.st_ino}"


# --- SQLite -----------------------------------------------------------------------------------------


def _sqlite_address(url: str) -> MetadataDatabaseAddress:
    rest = url.split("://", 1)[1]
    if "?" in rest or "#" in rest:
        raise MetadataDatabaseError(
            "A SQLite URL takes no parameters (no ?…): envmanager always opens the file read-only itself."
        )
    if not rest.startswith("/"):
        raise MetadataDatabaseError("A SQLite URL names a file on this server: sqlite:////absolute/path/airflow.db.")
    path = rest[1:]  # sqlite:////abs/path is the absolute /abs/path (SQLAlchemy's form, as in Airflow)
    if not path.startswith("/"):
        raise MetadataDatabaseError(
            "The SQLite path must be absolute: sqlite:////absolute/path/airflow.db (four slashes)."
        )
    resolved = os.path.realpath(path)  # through every symlink: where the file really is
    # Named as given: where a symlink outside the allowed folders points is none of the user's business.
    _require_allowed(f"sqlite:///{path}", f"sqlite:///{resolved}")
    if _is_envmanager_sqlite(resolved):
        raise MetadataDatabaseError("That is envmanager's own database, not an Airflow metadata database.")
    try:
        mode = os.stat(resolved).st_mode
    except OSError:
        raise MetadataDatabaseError(f"There is no SQLite database file at {resolved}.") from None
    if not stat.S_ISREG(mode):
        raise MetadataDatabaseError(f"{resolved} is not a regular file, so it cannot be a SQLite database.")
    return MetadataDatabaseAddress("sqlite", path=resolved)


def _is_envmanager_sqlite(resolved: str) -> bool:
    own = envmanager_connection.settings_dict
    if envmanager_connection.vendor != "sqlite" or not own.get("NAME"):
        return False
    return os.path.realpath(str(own["NAME"])) == resolved


# --- The allow-list ---------------------------------------------------------------------------------


def airflow_files_folder() -> Path:
    """Return the folder the default allow-list opens SQLite files in (the demo keeps its file there)."""
    return Path(settings.VAR_DIR) / "airflow"


def allowed_patterns() -> list[str]:
    """Return the allow-list: ENVMANAGER_METADATA_DB_ALLOWED, or the default."""
    configured = getattr(settings, "ENVMANAGER_METADATA_DB_ALLOWED", None)
    if configured:
        return list(configured)
    return ["postgresql://*:*/*", f"sqlite:///{os.path.realpath(airflow_files_folder())}/**"]


def _normalised_pattern(pattern: str) -> tuple[str, str] | None:
    """Return (engine, rest) of a pattern in the form its subjects are written, or None if unusable."""
    if "://" not in pattern:
        return None
    scheme, rest = pattern.split("://", 1)
    base = scheme.lower().split("+", 1)[0]
    if base in ("postgres", "postgresql"):
        netloc, _, dbname = rest.partition("/")
        netloc = netloc.rsplit("@", 1)[-1].lower()
        if not re.search(r":[^\]]*$", netloc):
            netloc += f":{DEFAULT_PG_PORT}"
        return "postgresql", f"{netloc}/{dbname}"
    if base == "sqlite":
        return "sqlite", "/" + rest.lstrip("/")
    return None


def _glob(pattern: str) -> re.Pattern:
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    wildcards = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def is_allowed(subject: str) -> bool:
    """Return whether `subject` (`postgresql://host:port/db` or `sqlite:///path`) matches the allow-list."""
    engine, rest = _normalised_pattern(subject)
    for pattern in allowed_patterns():
        normalised = _normalised_pattern(pattern.strip())
        if normalised and normalised[0] == engine and _glob(normalised[1]).fullmatch(rest):
            return True
    return False


def _require_allowed(label: str, subject: str) -> None:
    if not is_allowed(subject):
        raise MetadataDatabaseError(f"The metadata database {label} is not allowed here; {NOT_ALLOWED_HINT}.")
