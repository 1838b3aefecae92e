"""Audit entries: written inside the same transaction as the change they describe."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser

from envmanager.models import AuditEntry, EnvObject, Link, Workspace
from envmanager.selectors.env_objects import env_object_identity
from envmanager.services.audit_chain import append_entries
from envmanager.services.environment_versions import ACTIONS_WITHOUT_ENVIRONMENT_CHANGE, environment_versions_bump

SECRET_SET = "[secret: set]"

# What a change was made through, when not the pages (e.g. "personal access token 'ci' (emp_abc123…)"):
# set around a request by the management API, so every service's entry names it without an argument.
_via: ContextVar[str] = ContextVar("audit_via", default="")


@contextmanager
def audit_via(label: str) -> Iterator[None]:
    """Record `label` as `changes["via"]` in every audit entry written inside the block."""
    reset = _via.set(label)
    try:
        yield
    finally:
        _via.reset(reset)


def actor_label(actor: AbstractBaseUser | None) -> str:
    return actor.get_username() if actor is not None else "system"


def audit_entry(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    workspace: Workspace | None,
    target_type: str,
    target_id: int | None,
    target_label: str,
    before: dict | None = None,
    after: dict | None = None,
    extra: dict | None = None,
) -> AuditEntry:
    """Return an unsaved entry for one change. `before`/`after` must already be redacted
    (see `env_object_snapshot`). Flows that change many objects save these in bulk."""
    changes = {"before": before, "after": after}
    if extra:
        changes.update(extra)
    if _via.get():
        changes["via"] = _via.get()
    return AuditEntry(
        workspace=workspace,
        workspace_name=workspace.name if workspace else "",
        actor=actor,
        actor_name=actor_label(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:400],
        changes=changes,
    )


def audit_record(**entry) -> AuditEntry:
    """Record one change; takes the arguments of `audit_entry`. Bumps the Workspace's environment version."""
    record = audit_entry(**entry)
    record.save()
    _environment_changed([record])
    return record


def audit_records_bulk(records: list[AuditEntry]) -> list[AuditEntry]:
    """Record many changes in one INSERT (flows that change many objects); bumps like `audit_record`."""
    saved = append_entries(records)
    _environment_changed(saved)
    return saved


def _environment_changed(records: list[AuditEntry]) -> None:
    # Every write goes through the two writers above, inside its transaction: the one place that
    # moves the version the read API's ETags are made of.
    environment_versions_bump(
        record.workspace_id for record in records if record.action not in ACTIONS_WITHOUT_ENVIRONMENT_CHANGE
    )


def redacted_values(plain: dict, sealed: dict) -> dict:
    """Return field values for the audit log: plain values as they are, secrets only as 'set'."""
    values = dict(plain)
    # A None token is an override "to empty" (see promotion): no secret is stored for it.
    values.update({name: SECRET_SET if token else None for name, token in sealed.items()})
    return values


def env_object_label(env_object: EnvObject) -> str:
    scope = f"Deployment {env_object.deployment.name}" if env_object.deployment_id else "Workspace"
    return f"{env_object.get_kind_display()} '{env_object.key}' ({scope})"


def env_object_snapshot(env_object: EnvObject) -> dict:
    """Return the audit view of an object: every field, with secret values redacted."""
    return {
        "kind": env_object.kind,
        **env_object_identity(env_object),
        "fields": redacted_values(env_object.data, env_object.secrets),
    }


def link_snapshot(link: Link) -> dict:
    return {
        "target": link.deployment.name if link.deployment_id else link.ide_project.name,
        "target_type": "deployment" if link.deployment_id else "ide_project",
        "excluded": link.excluded,
        "override": redacted_values(link.override_data, link.override_secrets),
    }


def changed_secret_names(before_tokens: dict, after_tokens: dict) -> list[str]:
    """Return the secret fields whose value was set, replaced or cleared (tokens differ)."""
    names = set(before_tokens) | set(after_tokens)
    return sorted(name for name in names if before_tokens.get(name) != after_tokens.get(name))
