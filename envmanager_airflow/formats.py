"""Airflow's own formats for the values envmanager delivers.

Everything here works on plain values ({field name: value}, as the read API sends them) so that the
secrets backend, the agent and envmanager's exports write exactly the same thing:
- a connection in Airflow's JSON connection format (`Connection.from_json`, `AIRFLOW_CONN_<ID>`);
- the JSON files of Airflow's `LocalFilesystemBackend` (`connections_file_path`, `variables_file_path`);
- `.env` lines that python-dotenv reads back byte for byte;
- the `[metrics]` settings that point Airflow at an OpenTelemetry Collector.

Standard library only, Python 3.9 and newer.
"""

from __future__ import annotations

import json
import re

# The fields of Airflow's JSON connection format, in `airflow connections export` order.
CONNECTION_FIELDS = ("conn_type", "description", "login", "password", "host", "port", "schema", "extra")
# Airflow's EnvironmentVariablesBackend reads `AIRFLOW_CONN_` + conn_id.upper() and
# `AIRFLOW_VAR_` + key.upper() (airflow/secrets/environment_variables.py, 2.10 and 3.x).
CONN_ENV_PREFIX = "AIRFLOW_CONN_"
VAR_ENV_PREFIX = "AIRFLOW_VAR_"

# Where `agent run` tells Airflow its collector listens by default: the otlp receiver of the
# collector configuration envmanager renders (otel.py), on the same host or pod.
DEFAULT_OTEL_HOST = "127.0.0.1"
DEFAULT_OTEL_PORT = 4318


def connection_fields(values: dict, *, drop_empty: bool = False) -> dict:
    """Return a connection's values as Airflow's connection fields, in Airflow's order.

    `extra` is the JSON text Airflow stores. Missing fields are None, or left out with `drop_empty`
    (as in Airflow's JSON connection format, where an empty field means no value).
    """
    fields = {}
    for name in CONNECTION_FIELDS:
        value = values.get(name)
        if name == "extra" and value is not None and not isinstance(value, str):
            value = json.dumps(value)
        if drop_empty and (value is None or value == ""):
            continue
        fields[name] = value
    return fields


def connection_json(values: dict) -> str:
    """Return the connection in Airflow's JSON connection format (Airflow >= 2.3), as `get_conn_value`
    returns it and `AIRFLOW_CONN_<ID>` holds it; Airflow reads it with `Connection.from_json`."""
    return json.dumps(connection_fields(values, drop_empty=True))


def variable_text(values: dict) -> str:
    """Return a variable's value as the text Airflow's `Variable.get` receives."""
    value = values.get("value")
    return "" if value is None else str(value)


def local_filesystem_connections(connections: dict) -> str:
    """Return `connections_file_path` JSON for {conn_id: values} (LocalFilesystemBackend)."""
    connections = {key: connection_fields(values, drop_empty=True) for key, values in connections.items()}
    return json.dumps(connections, indent=2, ensure_ascii=False) + "\n"


def local_filesystem_variables(variables: dict) -> str:
    """Return `variables_file_path` JSON for {key: values} (LocalFilesystemBackend)."""
    return json.dumps({key: variable_text(values) for key, values in variables.items()}, indent=2,
                      ensure_ascii=False) + "\n"


# python-dotenv expands ${NAME} and ${NAME:-default} in every value unless read with interpolate=False
# (dotenv/variables.py, _posix_variable), and has no escape for them.
_DOTENV_EXPANDS = re.compile(r"\$\{[^}:]*(?::-[^}]*)?\}")


def dotenv_quote(value: str) -> tuple[str, bool]:
    """Return `value` quoted for a .env line that python-dotenv reads back exactly, and whether a POSIX
    shell (`set -a; . file`) reads it back exactly too.

    1. Single quotes when the value holds no `'`, `\\\\` or carriage return and does not end with `\\`:
       literal for python-dotenv and for shells.
    2. Else double quotes when it holds none of `$`, backtick, `\\`, `"` or a carriage return: nothing
       to escape for either.
    3. Else, without carriage returns: single quotes with `\\` and `'` escaped by a backslash, as
       python-dotenv's own `set_key` writes them (dotenv/parser.py decodes exactly those two in single
       quotes).
    4. Else double quotes with `\\`, `"` and carriage returns escaped (`\\r`): python-dotenv opens the
       file with universal newlines, which would turn a literal carriage return into a newline.
    A shell reads cases 3 and 4 (and the lines after them) differently.
    """
    if "\r" in value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r") + '"', False
    if "'" not in value and "\\\\" not in value and not value.endswith("\\"):
        return f"'{value}'", True
    if not any(character in value for character in '$`\\"'):
        return f'"{value}"', True
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'", False


def dotenv_expands(value: str) -> bool:
    """Return whether python-dotenv (interpolating, its default) would expand part of `value`."""
    return bool(_DOTENV_EXPANDS.search(value))


def dotenv(variables: dict) -> str:
    """Return .env lines for {name: value text}, in the given order."""
    return "".join(f"{name}={dotenv_quote(value)[0]}\n" for name, value in variables.items())


def airflow_metrics_settings(*, host: str = DEFAULT_OTEL_HOST, port: int = DEFAULT_OTEL_PORT) -> dict:
    """Return the environment variables that make Airflow send its metrics to a collector over OTLP/HTTP.

    Airflow's `[metrics] otel_*` options (2.10 and 3.x): it posts to http://host:port/v1/metrics.
    """
    return {
        "AIRFLOW__METRICS__OTEL_ON": "True",
        "AIRFLOW__METRICS__OTEL_HOST": str(host),
        "AIRFLOW__METRICS__OTEL_PORT": str(port),
        "AIRFLOW__METRICS__OTEL_SSL_ACTIVE": "False",
    }
