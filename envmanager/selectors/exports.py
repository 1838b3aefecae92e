"""Reads for delivery to Airflow: a target's effective environment, its ETag, and the export formats.

A *target* is one Deployment or one IDE project. The export formats are the ones Airflow itself
reads, so a file can be handed to `airflow connections import`, `airflow variables import`, or
loaded as environment variables (`AIRFLOW_CONN_<ID>`, `AIRFLOW_VAR_<KEY>`).
"""

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from envmanager.kinds import Kind
from envmanager.models import Deployment, IdeProject
from envmanager.selectors.environment import (
    EffectiveEntry,
    deployment_effective_environment,
    entry_as_dict,
    ide_project_effective_environment,
)


class ExportFormat:
    CONNECTIONS = "connections"
    VARIABLES = "variables"
    DOTENV = "dotenv"


EXPORT_FORMATS = (ExportFormat.CONNECTIONS, ExportFormat.VARIABLES, ExportFormat.DOTENV)
EXPORT_FORMAT_LABELS = {
    ExportFormat.CONNECTIONS: "Connections (airflow connections import)",
    ExportFormat.VARIABLES: "Variables (airflow variables import)",
    ExportFormat.DOTENV: ".env file",
}
_FORMAT_KINDS = {
    ExportFormat.CONNECTIONS: (Kind.CONNECTION,),
    ExportFormat.VARIABLES: (Kind.VARIABLE,),
    ExportFormat.DOTENV: (Kind.CONNECTION, Kind.VARIABLE, Kind.ENV),
}
# The order of the fields in `airflow connections export`, so files diff cleanly against Airflow's.
CONNECTION_FIELDS = ("conn_type", "description", "login", "password", "host", "port", "schema", "extra")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: str = ""
    count: int = 0  # objects written
    skipped: tuple[str, ...] = ()  # one sentence per object left out, with the reason

    def __repr__(self):  # the content holds secrets
        return f"ExportFile({self.filename!r}, count={self.count}, skipped={len(self.skipped)})"


def target_label(*, deployment: Deployment | None = None, ide_project: IdeProject | None = None) -> str:
    return f"Deployment '{deployment.name}'" if deployment else f"IDE project '{ide_project.name}'"


def target_effective_environment(
    *,
    deployment: Deployment | None = None,
    ide_project: IdeProject | None = None,
    kinds: tuple[str, ...] | None = None,
    key: str | None = None,
) -> list[EffectiveEntry]:
    """Return the effective environment of one Deployment or one IDE project (two queries)."""
    if (deployment is None) == (ide_project is None):
        raise ValidationError("Name exactly one Deployment or one IDE project.")
    if deployment is not None:
        return deployment_effective_environment(deployment=deployment, kinds=kinds, key=key)
    return ide_project_effective_environment(ide_project=ide_project, kinds=kinds, key=key)


def environment_etag(entries: list[EffectiveEntry]) -> str:
    """Return a strong ETag (quoted) for a list of entries, computed without decrypting anything.

    It hashes every plain value and every secret's ciphertext: any change of value, source, key
    or set of objects changes it. (Re-encrypting a secret under a rotated key changes it too; a
    client then downloads an unchanged body once, which is harmless.)
    """
    digest = hashlib.sha256()
    for entry in entries:
        redacted = entry_as_dict(entry, reveal=False)
        tokens = {name: effective.token for name, effective in entry.fields.items() if effective.secret}
        digest.update(json.dumps([redacted, tokens], sort_keys=True, separators=(",", ":")).encode())
        digest.update(b"\n")
    return f'"{digest.hexdigest()[:40]}"'


def connection_airflow_fields(values: dict) -> dict:
    """Return an effective connection's values as Airflow's Connection fields.

    `extra` becomes a JSON string, as Airflow stores and exports it; missing values are null.
    """
    fields = {name: values.get(name) for name in CONNECTION_FIELDS}
    if fields["extra"] is not None and not isinstance(fields["extra"], str):
        fields["extra"] = json.dumps(fields["extra"], sort_keys=True)
    return fields


def _connections_json(entries: list[EffectiveEntry]) -> tuple[str, int, tuple]:
    connections = {entry.key: connection_airflow_fields(entry.reveal()) for entry in entries}
    return json.dumps(connections, indent=2, sort_keys=True) + "\n", len(connections), ()


def _variables_json(entries: list[EffectiveEntry]) -> tuple[str, int, tuple]:
    variables = {}
    for entry in entries:
        values = entry.reveal()
        value = values.get("value")
        value = "" if value is None else value
        # Airflow's own `variables export` shape: a bare value, or {value, description} when described.
        description = values.get("description")
        variables[entry.key] = {"value": value, "description": description} if description else value
    return json.dumps(variables, indent=2, sort_keys=True) + "\n", len(variables), ()


def dotenv_quote(value: str) -> str:
    """Return `value` quoted for a .env line that POSIX shells, Docker Compose and python-dotenv read alike.

    Single quotes keep everything literal (no `$` expansion, newlines allowed). A value that holds
    a single quote is double-quoted with `\\`, `"`, `$` and backtick escaped.
    """
    if "'" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return f'"{escaped}"'


def _dotenv(entries: list[EffectiveEntry]) -> tuple[str, int, tuple]:
    sections = {Kind.CONNECTION: [], Kind.VARIABLE: [], Kind.ENV: []}
    skipped = []
    for entry in entries:
        values = entry.reveal()
        if entry.kind == Kind.CONNECTION:
            name = "AIRFLOW_CONN_" + entry.key.upper()
            fields = {k: v for k, v in connection_airflow_fields(values).items() if v not in (None, "")}
            value = json.dumps(fields, sort_keys=True)
        elif entry.kind == Kind.VARIABLE:
            name = "AIRFLOW_VAR_" + entry.key.upper()
            value = values.get("value") or ""
        else:
            name = entry.key
            value = values.get("value") or ""
        if not _ENV_NAME.match(name):
            skipped.append(
                f"{Kind(entry.kind).label} '{entry.key}': '{name}' is not a valid environment variable name "
                "(use letters, digits and '_' in the key)."
            )
            continue
        sections[entry.kind].append(f"{name}={dotenv_quote(str(value))}")
    lines = []
    titles = {
        Kind.CONNECTION: "Airflow connections", Kind.VARIABLE: "Airflow variables", Kind.ENV: "Environment variables"
    }
    for kind, section in sections.items():
        if section:
            lines += [f"# {titles[kind]}", *section, ""]
    if skipped:
        lines += ["# Left out:", *(f"#   {reason}" for reason in skipped), ""]
    count = sum(len(section) for section in sections.values())
    return "\n".join(lines), count, tuple(skipped)


_RENDERERS = {
    ExportFormat.CONNECTIONS: (_connections_json, "application/json", "connections.json"),
    ExportFormat.VARIABLES: (_variables_json, "application/json", "variables.json"),
    ExportFormat.DOTENV: (_dotenv, "text/plain; charset=utf-8", ".env"),
}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "target"


def environment_export(
    *, export_format: str, deployment: Deployment | None = None, ide_project: IdeProject | None = None
) -> ExportFile:
    """Render the target's effective environment in `export_format`, with secrets in clear.

    Only the export service (which audits) and the tests call this.
    """
    if export_format not in EXPORT_FORMATS:
        raise ValidationError(
            {"format": f"Unknown export format '{export_format}'. Use one of: {', '.join(EXPORT_FORMATS)}."}
        )
    entries = target_effective_environment(
        deployment=deployment, ide_project=ide_project, kinds=_FORMAT_KINDS[export_format]
    )
    render, content_type, suffix = _RENDERERS[export_format]
    content, count, skipped = render(entries)
    target = deployment or ide_project
    filename = f"{_slug(target.name)}-{suffix.lstrip('.')}" if suffix != ".env" else f"{_slug(target.name)}.env"
    return ExportFile(filename=filename, content_type=content_type, content=content, count=count, skipped=skipped)
