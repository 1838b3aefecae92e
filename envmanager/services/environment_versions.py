"""The environment version: one counter per Workspace that every change a target could receive bumps.

The read API's ETag is (target, version, requested types), so a revalidation answers 304 from the
token's row alone, without resolving the environment (`docs/delivery.md`, "Revalidation").

The bump is an `UPDATE ... SET environment_version = environment_version + 1` issued by the audit
writers (`services/audit.py`), which every change already goes through inside its own transaction:
the version moves if and only if the change commits. Every target of a Deployment or IDE project
lies in one Workspace (links never cross Workspaces), so a Workspace-wide counter cannot miss one;
it only makes the other targets of that Workspace download an unchanged body once.
"""

from collections.abc import Iterable

from django.db.models import F

from envmanager.models import AuditEntry, Workspace

# Audited actions that change nothing any target receives. Everything else bumps (the safe default:
# a new action that forgets to be listed here costs a re-download, never a stale snapshot).
ACTIONS_WITHOUT_ENVIRONMENT_CHANGE = frozenset({
    AuditEntry.Action.ENVIRONMENT_EXPORT,
    AuditEntry.Action.API_TOKEN_CREATE,
    AuditEntry.Action.API_TOKEN_REVOKE,
    AuditEntry.Action.PERSONAL_TOKEN_CREATE,
    AuditEntry.Action.PERSONAL_TOKEN_REVOKE,
    AuditEntry.Action.MEMBERSHIP_SET,
    AuditEntry.Action.MEMBERSHIP_REMOVE,
    AuditEntry.Action.WORKSPACE_CREATE,
    AuditEntry.Action.WORKSPACE_UPDATE,
    AuditEntry.Action.IDE_PROJECT_UPDATE,
    AuditEntry.Action.USER_INVITE,
    AuditEntry.Action.ENCRYPTION_KEYS_ROTATE,  # re-encrypts: every value reads back the same
})


def environment_versions_bump(workspace_ids: Iterable[int]) -> None:
    """Bump the version of each Workspace, in the caller's transaction (one UPDATE)."""
    ids = sorted({pk for pk in workspace_ids if pk is not None})
    if ids:
        Workspace.objects.filter(pk__in=ids).update(environment_version=F("environment_version") + 1)


def environment_version(workspace_id: int) -> int:
    """Return the Workspace's current version (0 for a Workspace that no longer exists)."""
    value = Workspace.objects.filter(pk=workspace_id).values_list("environment_version", flat=True).first()
    return value or 0
