"""Reads for delivery to Airflow: a target's effective environment, its ETag, and the export formats.

A *target* is one Deployment or one IDE project. The export formats are the ones real consumers
read back exactly: `airflow connections import`, `airflow variables import` (Airflow 2 and 3), a
`.env` file for python-dotenv, and a Kubernetes Secret whose entries Airflow reads as environment
variables (`AIRFLOW_CONN_<ID>`, `AIRFLOW_VAR_<KEY>`).
"""

import base64
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from envmanager.kinds import KIND_SPECS, Kind, is_env_name
from envmanager.models import Deployment, IdeProject
from envmanager.selectors.environment import EffectiveEntry, target_effective_environment
from envmanager.targets import Target
from envmanager_airflow.formats import (
    CONN_ENV_PREFIX,
    VAR_ENV_PREFIX,
    airflow_metrics_settings,
    connection_fields,
    connection_json,
    dotenv_expands,
    dotenv_quote,
)
from envmanager_airflow.otel import collector_config


class ExportFormat:
    CONNECTIONS = "connections"
    VARIABLES = "variables"
    DOTENV = "dotenv"
    K8S_SECRET = "k8s-secret"
    OTEL_COLLECTOR = "otel-collector"


EXPORT_FORMATS = (
    ExportFormat.CONNECTIONS, ExportFormat.VARIABLES, ExportFormat.DOTENV, ExportFormat.K8S_SECRET,
    ExportFormat.OTEL_COLLECTOR,
)
# The env outputs read the metrics exports too: a target with any gets Airflow's [metrics] settings.
_FORMAT_KINDS = {
    ExportFormat.CONNECTIONS: (Kind.CONNECTION,),
    ExportFormat.VARIABLES: (Kind.VARIABLE,),
    ExportFormat.DOTENV: (Kind.CONNECTION, Kind.VARIABLE, Kind.ENV, Kind.METRICS),
    ExportFormat.K8S_SECRET: (Kind.CONNECTION, Kind.VARIABLE, Kind.ENV, Kind.METRICS),
    ExportFormat.OTEL_COLLECTOR: (Kind.METRICS,),
}
AIRFLOW_VERSIONS = (2, 3)


@dataclass(frozen=True)
class ExportOptions:
    """Choices some formats take; the others ignore them."""

    airflow_version: int = 3  # variables: the shape that version's `airflow variables import` reads
    include_airflow_objects: bool = False  # k8s-secret: add AIRFLOW_CONN_<ID> / AIRFLOW_VAR_<KEY> entries

    def __post_init__(self):
        if self.airflow_version not in AIRFLOW_VERSIONS:
            raise ValidationError({"airflow": f"Unknown Airflow version '{self.airflow_version}'. Use 2 or 3."})


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: str = ""
    count: int = 0  # objects written
    skipped: tuple[str, ...] = ()  # one sentence per object left out, with the reason
    notes: tuple[str, ...] = ()  # what a reader of the file should know (values some readers read differently)

    def __repr__(self):  # the content holds secrets
        return f"ExportFile({self.filename!r}, count={self.count}, skipped={len(self.skipped)})"


def target_airflow_metrics_settings(entries: list[EffectiveEntry]) -> dict:
    """Return the Airflow `[metrics]` settings that point Airflow at the target's collector, or {}.

    Only a target with metrics exports gets them: its collector (`otel-collector` export, the agent's
    `otel-collector.yaml`) listens on the default OTLP/HTTP address these settings name.
    """
    if not any(entry.kind == Kind.METRICS for entry in entries):
        return {}
    return airflow_metrics_settings()


# content, number of objects written, objects left out (with reasons), notes
Rendered = tuple[str, int, tuple[str, ...], tuple[str, ...]]


def _connections_json(entries: list[EffectiveEntry], options: ExportOptions) -> Rendered:
    connections = {entry.key: connection_fields(entry.reveal()) for entry in entries}
    return json.dumps(connections, indent=2, sort_keys=True) + "\n", len(connections), (), ()


def _variables_json(entries: list[EffectiveEntry], options: ExportOptions) -> Rendered:
    variables, undescribed = {}, []
    for entry in entries:
        values = entry.reveal()
        value = "" if values.get("value") is None else values["value"]
        description = values.get("description")
        if description and options.airflow_version == 3:
            # Airflow 3's `variables export` shape, which its `variables import` reads back.
            variables[entry.key] = {"value": value, "description": description}
        else:
            # Airflow 2.10's `variables import` would store a {value, description} dict as JSON text.
            variables[entry.key] = value
            if description:
                undescribed.append(entry.key)
    notes = ()
    if undescribed:
        notes = (
            "Airflow 2's `variables import` reads no descriptions: the file leaves out the descriptions of "
            f"{', '.join(undescribed)}.",
        )
    return json.dumps(variables, indent=2, sort_keys=True) + "\n", len(variables), (), notes


@dataclass(frozen=True)
class EnvironmentVariable:
    name: str
    value: str
    kind: str
    key: str


def environment_variables(
    entries: list[EffectiveEntry], *, airflow_objects: bool = True
) -> tuple[list[EnvironmentVariable], tuple[str, ...]]:
    """Return the entries as environment variables, the way Airflow reads them, and what was left out.

    Connections become `AIRFLOW_CONN_<ID>` (Airflow's JSON connection format), variables
    `AIRFLOW_VAR_<KEY>`, upper-cased as Airflow's EnvironmentVariablesBackend looks them up; plain
    environment variables keep their names. Left out, each with its reason: a name that is not a
    POSIX environment variable name, and names two entries would share (`a` and `A`, or a variable
    `x` and an environment variable `AIRFLOW_VAR_X`), since only one value could reach Airflow.
    """
    candidates, skipped = [], []
    for entry in entries:
        values = entry.reveal()
        if entry.kind == Kind.ENV:
            name, value = entry.key, values.get("value") or ""
        elif not airflow_objects:
            continue
        elif entry.kind == Kind.CONNECTION:
            name, value = CONN_ENV_PREFIX + entry.key.upper(), connection_json(values)
        elif entry.kind == Kind.VARIABLE:
            name, value = VAR_ENV_PREFIX + entry.key.upper(), values.get("value") or ""
        else:
            continue  # a metrics export is not a variable; its settings are added below
        if not is_env_name(name):
            skipped.append(
                f"{Kind(entry.kind).label} '{entry.key}': '{name}' is not a valid environment variable name "
                "(use letters, digits and '_' in the key)."
            )
            continue
        candidates.append(EnvironmentVariable(name, str(value), entry.kind, entry.key))
    for name, value in target_airflow_metrics_settings(entries).items():
        candidates.append(EnvironmentVariable(name, value, Kind.METRICS, name))
    by_name: dict[str, list[EnvironmentVariable]] = {}
    for variable in candidates:
        by_name.setdefault(variable.name, []).append(variable)
    for name, sharing in by_name.items():
        if len(sharing) > 1:
            labels = " and ".join(f"{Kind(v.kind).label} '{v.key}'" for v in sharing)
            skipped.append(f"{labels}: each would be '{name}', which holds one value only.")
    return [v for v in candidates if len(by_name[v.name]) == 1], tuple(skipped)


def _object_count(variables: list[EnvironmentVariable]) -> int:
    # Airflow's [metrics] settings are not objects of the target.
    return sum(1 for variable in variables if variable.kind != Kind.METRICS)


# A section per type, titled with the type's plural label ("Airflow connections"); metrics exports
# reach a .env only as the Airflow settings that point Airflow at the collector.
_DOTENV_TITLES = {
    **{kind: f"{kind.label}s" for kind in _FORMAT_KINDS[ExportFormat.DOTENV]},
    Kind.METRICS: "Airflow [metrics] settings: send metrics to the OpenTelemetry Collector (otel-collector export)",
}


def _dotenv(entries: list[EffectiveEntry], options: ExportOptions) -> Rendered:
    variables, skipped = environment_variables(entries)
    sections: dict[str, list[str]] = {kind: [] for kind in _DOTENV_TITLES}
    notes = []
    for variable in variables:
        quoted, shell_reads_it = dotenv_quote(variable.value)
        sections[variable.kind].append(f"{variable.name}={quoted}")
        if not shell_reads_it:
            notes.append(
                f"{variable.name}: a POSIX shell would read this value (and the lines after it) differently; "
                "load the file with python-dotenv."
            )
        if dotenv_expands(variable.value):
            notes.append(f"{variable.name}: python-dotenv expands the ${{...}} in it unless read with interpolate=False.")
    lines = [
        "# For python-dotenv (dotenv_values, `dotenv run`), which reads every value back exactly. A POSIX",
        "# shell (set -a; . file) reads the same values too unless Notes below lists one it reads differently.",
    ]
    for kind, section in sections.items():
        if section:
            lines += ["", f"# {_DOTENV_TITLES[kind]}", *section]
    if notes:
        lines += ["", "# Notes:", *(f"#   {note}" for note in notes)]
    if skipped:
        lines += ["", "# Left out:", *(f"#   {reason}" for reason in skipped)]
    return "\n".join(lines) + "\n", _object_count(variables), skipped, tuple(notes)


def kubernetes_name(name: str, *, fallback: str, suffix: str = "") -> str:
    """Return `name` + `suffix` as a Kubernetes object name (a DNS-1123 subdomain: a-z 0-9 '-' '.', <= 253)."""
    slug = re.sub(r"[^a-z0-9.]+", "-", name.lower())
    slug = re.sub(r"[.-]*\.[.-]*", ".", slug)  # no empty labels ('..', '-.', '.-')
    slug = slug.strip(".-")[: 253 - len(suffix)].rstrip(".-") or fallback
    return slug + suffix


def _yaml_string(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: no YAML library, and nothing read as a number or a bool.
    return json.dumps(value)


def _k8s_secret(entries: list[EffectiveEntry], options: ExportOptions, *, name: str, target: str) -> Rendered:
    variables, skipped = environment_variables(entries, airflow_objects=options.include_airflow_objects)
    holds = "environment variables, Airflow connections and variables" if options.include_airflow_objects else (
        "environment variables"
    )
    lines = [
        f"# The {holds} of {target}, for envFrom.secretRef; made by envmanager.",
        "# data: each value's exact bytes (UTF-8), base64-encoded.",
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        f"  name: {_yaml_string(name)}",
        "  labels:",
        f"    {_yaml_string('app.kubernetes.io/managed-by')}: {_yaml_string('envmanager')}",
        "type: Opaque",
        "data:" if variables else "data: {}",
        *(f"  {_yaml_string(v.name)}: {_yaml_string(base64.b64encode(v.value.encode()).decode())}" for v in variables),
    ]
    if skipped:
        lines += ["# Left out:", *(f"#   {reason}" for reason in skipped)]
    return "\n".join(lines) + "\n", _object_count(variables), skipped, ()


def _otel_collector(entries: list[EffectiveEntry]) -> Rendered:
    # The agent's otel-collector.yaml, from the same renderer (envmanager_airflow.otel).
    collector = collector_config([(entry.key, entry.reveal()) for entry in entries])
    return collector.to_yaml(), collector.exporter_count, tuple(collector.skipped), ()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "target"


@dataclass(frozen=True)
class ExportReveal:
    """What an export would hand out, for its confirmation: counts and keys, never a value."""

    objects: int
    secret_keys: tuple[str, ...]  # "connection 'db'" for each object with a secret value set

    @property
    def secrets(self) -> int:
        return len(self.secret_keys)


def export_reveal(
    *, export_format: str, target: Target | Deployment | IdeProject | None = None, options: ExportOptions | None = None
) -> ExportReveal:
    """Return what an export of `target` in `export_format` reveals (two queries; nothing is decrypted)."""
    options = options or ExportOptions()
    kinds = _FORMAT_KINDS[export_format]
    if export_format == ExportFormat.K8S_SECRET and not options.include_airflow_objects:
        kinds = (Kind.ENV, Kind.METRICS)
    entries = target_effective_environment(target=target, kinds=kinds)
    secret_keys = tuple(
        f"{KIND_SPECS[entry.kind].noun} '{entry.key}'"
        for entry in entries if any(f.secret and f.is_set for f in entry.fields.values())
    )
    return ExportReveal(objects=len(entries), secret_keys=secret_keys)


def environment_export(
    *,
    export_format: str,
    target: Target | Deployment | IdeProject | None = None,
    options: ExportOptions | None = None,
) -> ExportFile:
    """Render the target's effective environment in `export_format`, with secrets in clear.

    Only the export service (which audits) and the tests call this.
    """
    if export_format not in EXPORT_FORMATS:
        raise ValidationError(
            {"format": f"Unknown export format '{export_format}'. Use one of: {', '.join(EXPORT_FORMATS)}."}
        )
    target = Target.of(target)
    options = options or ExportOptions()
    entries = target_effective_environment(target=target, kinds=_FORMAT_KINDS[export_format])
    slug = _slug(target.name)
    if export_format == ExportFormat.CONNECTIONS:
        rendered, filename, content_type = _connections_json(entries, options), f"{slug}-connections.json", "application/json"
    elif export_format == ExportFormat.VARIABLES:
        suffix = "-airflow2" if options.airflow_version == 2 else ""
        rendered, filename, content_type = _variables_json(entries, options), f"{slug}-variables{suffix}.json", "application/json"
    elif export_format == ExportFormat.DOTENV:
        rendered, filename, content_type = _dotenv(entries, options), f"{slug}.env", "text/plain; charset=utf-8"
    elif export_format == ExportFormat.OTEL_COLLECTOR:
        rendered, filename, content_type = _otel_collector(entries), f"{slug}-otel-collector.yaml", "application/yaml"
    else:
        fallback = f"{target.url_prefix}-{target.pk}"
        name = kubernetes_name(target.name, fallback=fallback, suffix="-env")
        rendered = _k8s_secret(entries, options, name=name, target=target.label)
        filename, content_type = f"{slug}-secret.yaml", "application/yaml"
    content, count, skipped, notes = rendered
    return ExportFile(
        filename=filename, content_type=content_type, content=content, count=count, skipped=skipped, notes=notes
    )
