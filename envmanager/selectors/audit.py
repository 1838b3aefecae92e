"""The audit page: a Workspace's audit entries, newest first, filtered and paginated."""

from dataclasses import dataclass

from django.core.paginator import Page

from envmanager.models import AuditEntry, Workspace
from envmanager.selectors.env_objects import clean_query, paginate

AUDIT_PAGE_SIZE = 50


@dataclass(slots=True)
class AuditPage:
    entries: list[AuditEntry]
    page: Page
    key: str
    actor: str
    action: str
    actors: list[str]
    actions: list[tuple[str, str]]  # (stored value, label) of the actions this Workspace's entries have

    @property
    def is_filtered(self) -> bool:
        return bool(self.key or self.actor or self.action)


def _looks_like_fernet_token(value: str) -> bool:
    return value.startswith("gAAAAA") and len(value) > 60


def _scrub(value):
    """Return `value` with anything shaped like a Fernet token replaced: a guard behind `redacted_values`."""
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str) and _looks_like_fernet_token(value):
        return "[secret]"
    return value


def workspace_audit_page(*, workspace: Workspace, key: str = "", actor: str = "", action: str = "", page=1) -> AuditPage:
    """Return one page of the Workspace's audit entries, newest first, filtered by object key, actor and action."""
    key, actor, action = clean_query(key), clean_query(actor), clean_query(action)
    entries = AuditEntry.objects.filter(workspace=workspace)
    actors = list(entries.order_by("actor_name").values_list("actor_name", flat=True).distinct())
    labels = dict(AuditEntry.Action.choices)
    actions = [
        (value, labels.get(value, value))
        for value in entries.order_by("action").values_list("action", flat=True).distinct()
    ]
    if key:
        entries = entries.filter(target_label__icontains=key)
    if actor:
        entries = entries.filter(actor_name=actor)
    if action:
        entries = entries.filter(action=action)
    page_obj = paginate(
        entries.only("id", "actor_name", "action", "target_label", "changes", "created_at").order_by("-created_at", "-id"),
        page,
        AUDIT_PAGE_SIZE,
    )
    rows = list(page_obj.object_list)
    for entry in rows:
        entry.changes = _scrub(entry.changes)
    return AuditPage(
        entries=rows, page=page_obj, key=key, actor=actor, action=action, actors=actors, actions=actions
    )
