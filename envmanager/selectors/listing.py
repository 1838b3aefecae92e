"""Paginated lists for the browser pages: environment objects, links, Deployments, the audit log.

Every function here runs a fixed number of queries whatever the number of objects: filtering,
sorting and paging happen in the database, and what a page shows of its rows (links, overrides)
is fetched for that page only. Rows are plain dataclasses holding no ciphertext: a secret field is
described only by whether it is set.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, Value, When

from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import AuditEntry, Deployment, EnvObject, IdeProject, Link, Workspace
from envmanager.selectors import audit_readable
from envmanager.selectors.environment import (
    ENTRY_SOURCE_LABELS,
    TARGET_LINK_COLUMNS,
    Source,
    visible_to_target,
    with_target_link,
)

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
MAX_QUERY_LENGTH = 250

# Sort keys offered in the tables; the key breaks ties so pages never overlap.
SORTS = {
    "key": ("key", "id"),
    "-key": ("-key", "-id"),
    "updated": ("updated_at", "key", "id"),
    "-updated": ("-updated_at", "key", "id"),
}
DEFAULT_SORT = "key"

# What a table shows of each type, besides the key.
SUMMARY_FIELDS = {
    Kind.CONNECTION: ("conn_type", "host", "port"),
    Kind.VARIABLE: ("value",),
    Kind.ENV: ("value",),
    Kind.METRICS: ("exporter_type", "endpoint", "auth_type"),
}
SUMMARY_MAX_LENGTH = 80


class Scope:
    WORKSPACE = "workspace"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class SummaryItem:
    name: str
    label: str
    value: object = None  # always None for a secret
    secret: bool = False
    is_set: bool = False
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class LinkTarget:
    id: int
    name: str
    has_override: bool = False


@dataclass(slots=True)
class LinkSummary:
    """Where a Workspace object is used: explicit links, "all Deployments", exclusions."""

    linked_to_all: bool = False
    deployments: list[LinkTarget] = field(default_factory=list)
    excluded: list[LinkTarget] = field(default_factory=list)
    ide_projects: list[LinkTarget] = field(default_factory=list)

    @property
    def overridden_in(self) -> list[str]:
        return [target.name for target in self.deployments + self.ide_projects if target.has_override]

    @property
    def is_linked(self) -> bool:
        return self.linked_to_all or bool(self.deployments or self.ide_projects)


@dataclass(slots=True)
class ObjectRow:
    id: int
    kind: str
    key: str
    is_secret: bool
    deployment_id: int | None
    deployment_name: str | None
    linked_to_all: bool
    updated_at: datetime
    summary: list[SummaryItem]
    links: LinkSummary | None = None  # Workspace objects only
    # On a Deployment's or IDE project's page: where the effective value comes from.
    source: str | None = None
    link_id: int | None = None
    # Filled in by the view from the user's permissions.
    can_update: bool = False
    can_delete: bool = False

    @property
    def is_workspace_scoped(self) -> bool:
        return self.deployment_id is None

    @property
    def scope_label(self) -> str:
        return "Workspace" if self.deployment_id is None else f"Deployment {self.deployment_name}"

    @property
    def source_label(self) -> str:
        return ENTRY_SOURCE_LABELS[self.source] if self.source else ""

    @property
    def overridden_here(self) -> bool:
        return self.source == Source.OVERRIDE


@dataclass(slots=True)
class ObjectPage:
    kind: Kind
    rows: list[ObjectRow]
    page: Page
    query: str
    sort: str
    scope: str
    # Objects of this type before filtering by key, to tell "none yet" from "none match".
    total: int

    @property
    def is_filtered(self) -> bool:
        return bool(self.query)


def clean_query(query: str | None) -> str:
    return (query or "").strip()[:MAX_QUERY_LENGTH]


def clean_sort(sort: str | None) -> str:
    return sort if sort in SORTS else DEFAULT_SORT


def _summary(kind: str, is_secret_flag: bool, plain: dict, sealed_names, override_plain=None, override_sealed=()):
    spec = KIND_SPECS[Kind(kind)]
    override_plain = override_plain or {}
    items = []
    for name in SUMMARY_FIELDS[Kind(kind)]:
        field_spec = spec.field(name)
        overridden = name in override_plain or name in override_sealed
        if spec.is_secret(name, is_secret_flag=is_secret_flag):
            is_set = name in override_sealed if overridden else name in sealed_names
            items.append(SummaryItem(name, field_spec.label, secret=True, is_set=is_set, overridden=overridden))
            continue
        value = override_plain.get(name) if overridden else plain.get(name)
        if isinstance(value, str) and len(value) > SUMMARY_MAX_LENGTH:
            value = value[: SUMMARY_MAX_LENGTH - 1] + "…"
        items.append(
            SummaryItem(name, field_spec.label, value=value, is_set=value not in (None, ""), overridden=overridden)
        )
    return items


def _link_summaries(object_ids: list[int]) -> dict[int, LinkSummary]:
    """Return the links of the given Workspace objects, in one query."""
    summaries = {object_id: LinkSummary() for object_id in object_ids}
    if not object_ids:
        return summaries
    links = (
        Link.objects.filter(env_object_id__in=object_ids)
        .annotate(
            overrides=Case(
                When(Q(override_data={}) & Q(override_secrets={}), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .values(
            "env_object_id", "deployment_id", "ide_project_id", "excluded", "overrides",
            deployment_name=F("deployment__name"), ide_project_name=F("ide_project__name"),
        )
        .order_by("deployment__name", "ide_project__name", "id")
    )
    for link in links:
        summary = summaries[link["env_object_id"]]
        if link["deployment_id"] is not None:
            target = LinkTarget(link["deployment_id"], link["deployment_name"], link["overrides"])
            (summary.excluded if link["excluded"] else summary.deployments).append(target)
        else:
            summary.ide_projects.append(LinkTarget(link["ide_project_id"], link["ide_project_name"], link["overrides"]))
    return summaries


_ROW_COLUMNS = ("id", "kind", "key", "is_secret", "deployment_id", "linked_to_all", "updated_at", "data", "secrets")


def _paginate(queryset, page_number, page_size=PAGE_SIZE) -> Page:
    return Paginator(queryset, page_size).get_page(page_number)


def _rows(page: Page, *, with_links: bool, source_for=None) -> list[ObjectRow]:
    rows = []
    for values in page.object_list:
        override_plain = values.get("link_data") or {}
        override_sealed = tuple(values.get("link_secrets") or {})
        rows.append(
            ObjectRow(
                id=values["id"], kind=values["kind"], key=values["key"], is_secret=values["is_secret"],
                deployment_id=values["deployment_id"], deployment_name=values.get("deployment_name"),
                linked_to_all=values["linked_to_all"], updated_at=values["updated_at"],
                summary=_summary(
                    values["kind"], values["is_secret"], values["data"], tuple(values["secrets"]),
                    override_plain, override_sealed,
                ),
                source=source_for(values, bool(override_plain or override_sealed)) if source_for else None,
                link_id=values.get("link_id"),
            )
        )
    if with_links:
        summaries = _link_summaries([row.id for row in rows if row.is_workspace_scoped])
        for row in rows:
            row.links = summaries.get(row.id)
            if row.links is not None:
                row.links.linked_to_all = row.linked_to_all
    return rows


def _object_page(kind, queryset, *, query, sort, scope, page, total_queryset, with_links, source_for=None):
    sort = clean_sort(sort)
    query = clean_query(query)
    filtered = queryset.filter(key__icontains=query) if query else queryset
    page_obj = _paginate(filtered.order_by(*SORTS[sort]), page)
    total = page_obj.paginator.count if not query else total_queryset.count()
    return ObjectPage(
        kind=kind, rows=_rows(page_obj, with_links=with_links, source_for=source_for), page=page_obj,
        query=query, sort=sort, scope=scope, total=total,
    )


def workspace_env_object_page(
    *, workspace: Workspace, kind: Kind, query: str = "", sort: str = DEFAULT_SORT, page=1, scope: str = Scope.WORKSPACE
) -> ObjectPage:
    """Return one page of the Workspace's objects of `kind` (with Deployment objects too for scope 'all')."""
    objects = EnvObject.objects.filter(workspace=workspace, kind=kind)
    if scope != Scope.ALL:
        scope = Scope.WORKSPACE
        objects = objects.filter(deployment__isnull=True)
    values = objects.values(*_ROW_COLUMNS, deployment_name=F("deployment__name"))
    return _object_page(
        kind, values, query=query, sort=sort, scope=scope, page=page, total_queryset=objects, with_links=True
    )


def _deployment_source(values, overridden: bool) -> str:
    if values["deployment_id"] is not None:
        return Source.DEPLOYMENT
    return Source.OVERRIDE if overridden else Source.WORKSPACE


def deployment_env_object_page(
    *, deployment: Deployment, kind: Kind, query: str = "", sort: str = DEFAULT_SORT, page=1
) -> ObjectPage:
    """Return one page of the effective objects of `kind` in `deployment`, each with its source.

    Same resolution as `deployment_effective_environment`, done in one paginated query: the
    Deployment's own objects, and the Workspace objects it receives that none of them shadows.
    """
    objects = with_target_link(
        EnvObject.objects.filter(workspace_id=deployment.workspace_id, kind=kind),
        Q(links__deployment_id=deployment.pk),
    )
    received = visible_to_target(include_linked_to_all=True)
    shadowed = Exists(EnvObject.objects.filter(deployment_id=deployment.pk, kind=kind, key=OuterRef("key")))
    effective = objects.filter(Q(deployment_id=deployment.pk) | (Q(deployment__isnull=True) & received & ~shadowed))
    values = effective.values(*_ROW_COLUMNS, deployment_name=F("deployment__name"), **TARGET_LINK_COLUMNS)
    return _object_page(
        kind, values, query=query, sort=sort, scope="deployment", page=page, total_queryset=effective,
        with_links=True, source_for=_deployment_source,
    )


def _ide_project_source(values, overridden: bool) -> str:
    return Source.OVERRIDE if overridden else Source.WORKSPACE


def ide_project_env_object_page(
    *, ide_project: IdeProject, kind: Kind, query: str = "", sort: str = DEFAULT_SORT, page=1
) -> ObjectPage:
    """Return one page of the Workspace objects of `kind` linked to `ide_project`."""
    objects = with_target_link(
        EnvObject.objects.filter(workspace_id=ide_project.workspace_id, kind=kind, deployment__isnull=True),
        Q(links__ide_project_id=ide_project.pk),
    ).filter(visible_to_target(include_linked_to_all=False))
    values = objects.values(*_ROW_COLUMNS, deployment_name=F("deployment__name"), **TARGET_LINK_COLUMNS)
    return _object_page(
        kind, values, query=query, sort=sort, scope="ide_project", page=page, total_queryset=objects,
        with_links=False, source_for=_ide_project_source,
    )


@dataclass(frozen=True, slots=True)
class TargetState:
    id: int
    name: str
    linked: bool = False
    excluded: bool = False
    has_override: bool = False


@dataclass(slots=True)
class LinkState:
    """Every Deployment and IDE project of a Workspace, and how one object is linked to each."""

    linked_to_all: bool
    deployments: list[TargetState]
    ide_projects: list[TargetState]

    @property
    def linked_deployment_ids(self) -> list[int]:
        return [target.id for target in self.deployments if target.linked]

    @property
    def linked_ide_project_ids(self) -> list[int]:
        return [target.id for target in self.ide_projects if target.linked]


def env_object_link_state(*, env_object: EnvObject) -> LinkState:
    """Return the link state of a Workspace object towards every target of its Workspace (three queries)."""
    links = {
        (link["deployment_id"], link["ide_project_id"]): link
        for link in Link.objects.filter(env_object=env_object)
        .annotate(
            overrides=Case(
                When(Q(override_data={}) & Q(override_secrets={}), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .values("deployment_id", "ide_project_id", "excluded", "overrides")
    }
    deployments = []
    for deployment in Deployment.objects.filter(workspace_id=env_object.workspace_id).order_by("name").values("id", "name"):
        link = links.get((deployment["id"], None))
        excluded = bool(link and link["excluded"])
        linked = (env_object.linked_to_all and not excluded) or bool(link and not link["excluded"])
        deployments.append(
            TargetState(deployment["id"], deployment["name"], linked=linked, excluded=excluded,
                        has_override=bool(link and link["overrides"]))
        )
    ide_projects = []
    for project in IdeProject.objects.filter(workspace_id=env_object.workspace_id).order_by("name").values("id", "name"):
        link = links.get((None, project["id"]))
        ide_projects.append(
            TargetState(project["id"], project["name"], linked=link is not None,
                        has_override=bool(link and link["overrides"]))
        )
    return LinkState(linked_to_all=env_object.linked_to_all, deployments=deployments, ide_projects=ide_projects)


@dataclass(frozen=True, slots=True)
class Usage:
    deployments: int
    ide_projects: int


def env_object_usage(*, env_object: EnvObject) -> Usage:
    """Return how many Deployments and IDE projects receive `env_object`."""
    if env_object.deployment_id is not None:
        return Usage(deployments=1, ide_projects=0)
    counts = env_object.links.aggregate(
        linked=Count("id", filter=Q(deployment__isnull=False, excluded=False)),
        excluded=Count("id", filter=Q(excluded=True)),
        ide_projects=Count("id", filter=Q(ide_project__isnull=False)),
    )
    if env_object.linked_to_all:
        deployments = Deployment.objects.filter(workspace_id=env_object.workspace_id).count() - counts["excluded"]
    else:
        deployments = counts["linked"]
    return Usage(deployments=deployments, ide_projects=counts["ide_projects"])


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: Kind
    count: int


def workspace_env_object_counts(*, workspace: Workspace) -> list[KindCount]:
    """Return the number of Workspace objects of each type, in one query."""
    counts = dict(
        EnvObject.objects.filter(workspace=workspace, deployment__isnull=True)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [KindCount(kind, counts.get(kind.value, 0)) for kind in Kind]


def workspace_deployment_list(*, workspace: Workspace):
    """Return the Workspace's Deployments, each with its number of Deployment objects."""
    return (
        Deployment.objects.filter(workspace=workspace)
        .annotate(object_count=Count("env_objects"))
        .only("id", "name", "execution_mode", "workspace_id")
        .order_by("name")
    )


def workspace_ide_project_list(*, workspace: Workspace):
    """Return the Workspace's IDE projects, each with its number of linked objects."""
    return (
        IdeProject.objects.filter(workspace=workspace)
        .annotate(link_count=Count("links"))
        .order_by("name")
    )


@dataclass(slots=True)
class AuditPage:
    entries: list[AuditEntry]
    page: Page
    key: str
    actor: str
    action: str
    actors: list[str]
    actions: list[str]
    deployment: str = ""
    since: date | None = None
    until: date | None = None
    deployments: list[str] = field(default_factory=list)
    rows: list = field(default_factory=list)  # audit_readable.ReadableEntry per entry

    @property
    def is_filtered(self) -> bool:
        return bool(self.key or self.actor or self.action or self.deployment or self.since or self.until)

    @property
    def action_choices(self) -> list[tuple[str, str]]:
        return [(action, audit_readable.action_label(action)) for action in self.actions]


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
    actions = list(entries.order_by("action").values_list("action", flat=True).distinct())
    deployments = list(Deployment.objects.filter(workspace=workspace).order_by("name").values_list("name", flat=True))
    entries = audit_readable.filter_entries(entries, **filters)
    page_obj = _paginate(
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
