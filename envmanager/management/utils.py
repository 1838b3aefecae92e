"""What envmanager commands share besides their base class: one transaction per run, and describing
things on the terminal (secrets only as set / not set).
"""

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from envmanager.forms.secrets import secret_status
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import Deployment, EnvObject
from envmanager.selectors.env_objects import env_object_usage


@contextmanager
def changes(*, dry_run: bool) -> Iterator[None]:
    """Run the block in one transaction, rolled back when `dry_run`.

    A dry run then validates exactly like a real run (same services, same errors), and a command
    that calls several services either makes all their changes or none.
    """
    with transaction.atomic():
        yield
        if dry_run:
            transaction.set_rollback(True)


def generate_password() -> str:
    """Return a random password for a user created from the command line (printed once)."""
    return secrets.token_urlsafe(12)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def show_value(value) -> str:
    """Return a plain field value as one line of text (JSON objects compact and sorted)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def field_lines(kind: Kind, plain: dict, sealed: dict, *, is_secret_flag: bool, only_given: bool = False) -> list[str]:
    """Return "name: value" lines for stored values, secrets only as "set" / "not set".

    `only_given` lists just the fields present (an override); otherwise every secret field is
    listed (so "not set" shows) and plain fields without a value are left out.
    """
    spec = KIND_SPECS[kind]
    lines = []
    for name in spec.field_names:
        if spec.is_secret(name, is_secret_flag=is_secret_flag):
            if name in sealed or not only_given:
                lines.append(f"{name}: {secret_status(name in sealed)}")
        elif plain.get(name) is not None:
            lines.append(f"{name}: {show_value(plain[name])}")
    return lines


def object_field_lines(env_object: EnvObject) -> list[str]:
    return field_lines(Kind(env_object.kind), env_object.data, env_object.secrets, is_secret_flag=env_object.is_secret)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Return the lines of a plain-text table with aligned columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]


def deployment_summary(deployment: Deployment) -> str:
    """Return a one-line description of a Deployment, its secrets only as set / not set."""
    return (
        f"Deployment '{deployment.name}' in Workspace '{deployment.workspace.name}' "
        f"({deployment.get_execution_mode_display()}; "
        f"metadata database URL: {secret_status(deployment.has_metadata_db_url)}; "
        f"Fernet keys: {secret_status(deployment.has_fernet_keys)})."
    )


def link_summary(env_object: EnvObject) -> str:
    """Return who receives `env_object`, e.g. "linked to 2 Deployments and 1 IDE project"."""
    if env_object.deployment_id:
        return f"used by Deployment '{env_object.deployment.name}' only"
    usage = env_object_usage(env_object=env_object)
    if not (env_object.linked_to_all or usage.deployments or usage.ide_projects):
        return "not linked to any Deployment or IDE project"
    deployments = plural(usage.deployments, "Deployment")
    if env_object.linked_to_all:
        deployments = f"all Deployments ({usage.deployments} now)"
    return f"linked to {deployments} and {plural(usage.ide_projects, 'IDE project')}"
