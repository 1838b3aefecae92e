"""The audit page: a Workspace's audit entries, newest first, filtered and paginated, each change in words."""

from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Page

from envmanager.models import AuditEntry, Deployment, Workspace
from envmanager.selectors import audit_readable
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
    deployment: str = ""
    since: date | None = None
    until: date | None = None
    deployments: list[str] = field(default_factory=list)
    rows: list = field(default_factory=list)  # audit_readable.ReadableEntry per entry

    @property
    def is_filtered(self) -> bool:
        return bool(self.key or self.actor or self.action or self.deployment or self.since or self.until)


def workspace_audit_filters(*, key: str = "", actor: str = "", action: str = "", deployment: str = "",
                            since: str = "", until: str = "") -> dict:
    """The audit filters from a request's text, cleaned: for the page and its export alike."""
    return {
        "key": clean_query(key), "actor": clean_query(actor), "action": clean_query(action),
        "deployment": clean_query(deployment), "since": audit_readable.parse_day(clean_query(since)),
        "until": audit_readable.parse_day(clean_query(until)),
    }


def workspace_audit_page(*, workspace: Workspace, page=1, **filters) -> AuditPage:
    """Return one page of the Workspace's audit entries, newest first, filtered by object key, actor, action,
    Deployment and date range (`workspace_audit_filters`), each with its change in words."""
    filters = workspace_audit_filters(**filters)
    entries = AuditEntry.objects.filter(workspace=workspace)
    actors = list(entries.order_by("actor_name").values_list("actor_name", flat=True).distinct())
    actions = [
        (value, audit_readable.action_label(value))
        for value in entries.order_by("action").values_list("action", flat=True).distinct()
    ]
    deployments = list(Deployment.objects.filter(workspace=workspace).order_by("name").values_list("name", flat=True))
    entries = audit_readable.filter_entries(entries, **filters)
    page_obj = paginate(
        entries.only("id", "actor_name", "action", "target_label", "changes", "created_at").order_by("-created_at", "-id"),
        page,
        AUDIT_PAGE_SIZE,
    )
    rows = list(page_obj.object_list)
    for entry in rows:
        entry.changes = audit_readable.scrub(entry.changes)
    return AuditPage(
        entries=rows, page=page_obj, actors=actors, actions=actions, deployments=deployments,
        rows=audit_readable.readable(rows), **filters,
    )
