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


def connection_fields(values: dict) -> dict:
    """Return a connection's values as Airflow's connection fields, in Airflow's order.

    Fields with no value are left out; `extra` becomes the JSON text Airflow stores.
    """
    fields = {}
    for name in CONNECTION_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if name == "extra" and not isinstance(value, str):
            value = json.dumps(value)
        fields[name] = value
    return fields


def connection_json(values: dict) -> str:
    """Return the connection in Airflow's JSON connection format (what `get_conn_value` returns)."""
    return json.dumps(connection_fields(values))


def variable_text(values: dict) -> str:
    """Return a variable's value as the text Airflow's `Variable.get` receives."""
    value = values.get("value")
    return "" if value is None else str(value)


def local_filesystem_connections(connections: dict) -> str:
    """Return `connections_file_path` JSON for {conn_id: values} (LocalFilesystemBackend)."""
    return json.dumps({key: connection_fields(values) for key, values in connections.items()}, indent=2,
                      ensure_ascii=False) + "\n"


def local_filesystem_variables(variables: dict) -> str:
    """Return `variables_file_path` JSON for {key: values} (LocalFilesystemBackend)."""
    return json.dumps({key: variable_text(values) for key, values in variables.items()}, indent=2,
                      ensure_ascii=False) + "\n"


_DOTENV_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}


def dotenv_quote(value: str) -> str:
    """Return `value` as a double-quoted .env value that python-dotenv reads back exactly.

    Inside double quotes python-dotenv undoes `\\\\`, `\\"`, `\\n`, `\\r` (and a few more) and keeps
    every other character as it is. Newlines are written escaped because a file read in text mode
    turns a literal `\\r\\n` into `\\n`. (python-dotenv's `${NAME}` interpolation is a separate step
    that nothing can escape: read such files with `interpolate=False`, or through the agent.)
    """
    return '"' + "".join(_DOTENV_ESCAPES.get(char, char) for char in value) + '"'


def dotenv(variables: dict) -> str:
    """Return .env lines for {name: value text}, in the given order."""
    return "".join(f"{name}={dotenv_quote(value)}\n" for name, value in variables.items())


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
