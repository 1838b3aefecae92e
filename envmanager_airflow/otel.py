"""An OpenTelemetry Collector configuration for a target's metrics exports.

Airflow sends its metrics to the collector (OTLP over HTTP, or StatsD in Airflow's StatsD mode); the
collector forwards them to every metrics export of the target, each through the collector's own
exporter for its type, in a pipeline of its own so that each export's labels stay its own:

| exporter type           | collector exporter    | auth                                             |
|-------------------------|-----------------------|--------------------------------------------------|
| prometheus_remote_write | prometheusremotewrite | basic: basicauth, bearer: bearertokenauth,       |
| otlp_http               | otlphttp              |   sigv4: sigv4auth (assume role, STS region)     |
| otlp_grpc               | otlp                  |                                                  |
| datadog                 | datadog               | the API key is the export's password / token     |

The file holds credentials in clear: write it with mode 0600 (the agent does).
Standard library only, Python 3.9 and newer.
"""

from __future__ import annotations

import json
import re

OTLP_HTTP_ENDPOINT = "127.0.0.1:4318"
OTLP_GRPC_ENDPOINT = "127.0.0.1:4317"
STATSD_ENDPOINT = "127.0.0.1:8125"

COLLECTOR_EXPORTERS = {
    "prometheus_remote_write": "prometheusremotewrite",
    "otlp_http": "otlphttp",
    "otlp_grpc": "otlp",
    "datadog": "datadog",
}
# The collector's component names may not hold white space, '/', symbols or control characters.
_NAME_UNSAFE = re.compile(r"[^\w.-]")


class CollectorConfig:
    """The rendered configuration, and one sentence per metrics export that could not be rendered."""

    def __init__(self, config: dict, skipped: list):
        self.config = config
        self.skipped = skipped

    def __repr__(self):  # the configuration holds credentials
        return f"<CollectorConfig {len(self.config.get('exporters', {}))} exporters, {len(self.skipped)} skipped>"

    @property
    def exporter_count(self) -> int:
        return len(self.config.get("exporters", {}))

    def to_yaml(self) -> str:
        header = "# OpenTelemetry Collector configuration rendered by envmanager: do not edit, it is rewritten.\n"
        notes = "".join(f"# Left out: {reason}\n" for reason in self.skipped)
        return header + notes + to_yaml(self.config)


def component_name(key: str, taken: set) -> str:
    """Return a collector component name for a metrics export key, unique among `taken`."""
    base = _NAME_UNSAFE.sub("_", key) or "export"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def _auth_extension(name: str, values: dict) -> tuple[str, dict] | None:
    auth = values.get("auth_type") or "none"
    if auth == "basic":
        return f"basicauth/{name}", {
            "client_auth": {"username": values.get("username") or "", "password": values.get("password") or ""}
        }
    if auth == "bearer":
        return f"bearertokenauth/{name}", {"token": values.get("password") or ""}
    if auth == "sigv4":
        config = {}
        if values.get("sigv4_region"):
            config["region"] = values["sigv4_region"]
        if values.get("sigv4_role_arn"):
            assume_role = {"arn": values["sigv4_role_arn"]}
            if values.get("sigv4_sts_region"):
                assume_role["sts_region"] = values["sigv4_sts_region"]
            config["assume_role"] = assume_role
        return f"sigv4auth/{name}", config
    return None


def _exporter(collector_type: str, values: dict, auth_id: str | None) -> dict:
    endpoint = values.get("endpoint") or ""
    headers = values.get("headers") or {}
    labels = values.get("labels") or {}
    if collector_type == "datadog":
        config = {"api": {"key": values.get("password") or ""}, "metrics": {"endpoint": endpoint}}
        if labels:
            config["host_metadata"] = {"tags": [f"{k}:{v}" for k, v in labels.items()]}
        return config
    config = {"endpoint": endpoint}
    if collector_type == "otlp" and endpoint.startswith("http://"):
        config["tls"] = {"insecure": True}
    if headers:
        config["headers"] = {str(k): str(v) for k, v in headers.items()}
    if collector_type == "prometheusremotewrite" and labels:
        config["external_labels"] = {str(k): str(v) for k, v in labels.items()}
    if auth_id:
        config["auth"] = {"authenticator": auth_id}
    return config


def collector_config(metrics: list) -> CollectorConfig:
    """Return the collector configuration for [(key, values)] of the target's metrics exports."""
    receivers = {
        "otlp": {"protocols": {"http": {"endpoint": OTLP_HTTP_ENDPOINT}, "grpc": {"endpoint": OTLP_GRPC_ENDPOINT}}},
        "statsd": {"endpoint": STATSD_ENDPOINT},
    }
    processors = {"batch": {}}
    exporters, extensions, pipelines, skipped, taken = {}, {}, {}, [], set()
    for key, values in metrics:
        collector_type = COLLECTOR_EXPORTERS.get(values.get("exporter_type") or "")
        if collector_type is None:
            skipped.append(
                f"metrics export '{key}': exporter type '{values.get('exporter_type')}' has no collector exporter"
            )
            continue
        name = component_name(key, taken)
        auth = None if collector_type == "datadog" else _auth_extension(name, values)
        if auth is not None:
            extensions[auth[0]] = auth[1]
        exporter_id = f"{collector_type}/{name}"
        exporters[exporter_id] = _exporter(collector_type, values, auth[0] if auth else None)
        pipeline_processors = ["batch"]
        labels = values.get("labels") or {}
        if labels and collector_type not in ("prometheusremotewrite", "datadog"):
            processors[f"resource/{name}"] = {
                "attributes": [{"key": str(k), "value": str(v), "action": "upsert"} for k, v in labels.items()]
            }
            pipeline_processors.insert(0, f"resource/{name}")
        pipelines[f"metrics/{name}"] = {
            "receivers": ["otlp", "statsd"], "processors": pipeline_processors, "exporters": [exporter_id],
        }
    config = {"receivers": receivers, "processors": processors, "exporters": exporters}
    if extensions:
        config["extensions"] = extensions
    service = {"pipelines": pipelines}
    if extensions:
        service["extensions"] = sorted(extensions)
    config["service"] = service
    return CollectorConfig(config, skipped)


# --- A small YAML writer: block style, every string double-quoted --------------------------------


def _scalar(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _quote(str(value))


def _quote(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar, once the characters YAML does not allow
    # unescaped (C1 controls, DEL, line and paragraph separators, BOM) are escaped too.
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(
        f"\\u{ord(char):04x}" if (0x7F <= ord(char) <= 0x9F or ord(char) in (0x2028, 0x2029, 0xFEFF)) else char
        for char in quoted
    )


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
# Words a YAML 1.1 reader turns into booleans or null when they stand unquoted (in any case).
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _key(key) -> str:
    key = str(key)
    return key if _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS else _quote(key)


def _empty(value) -> str:
    return "{}" if isinstance(value, dict) else "[]"


def to_yaml(data, indent: int = 0) -> str:
    """Return `data` (dicts, lists, strings, numbers, booleans) as block-style YAML."""
    pad = "  " * indent
    lines = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{pad}{_key(key)}:\n{to_yaml(value, indent + 1)}")
            else:
                text = _empty(value) if isinstance(value, (dict, list)) else _scalar(value)
                lines.append(f"{pad}{_key(key)}: {text}\n")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 1)
                lines.append(f"{pad}- {body.lstrip()}")
            else:
                lines.append(f"{pad}- {_empty(item) if isinstance(item, (dict, list)) else _scalar(item)}\n")
    else:
        lines.append(f"{pad}{_scalar(data)}\n")
    return "".join(lines)
