"""Environment objects: finding one by its address (type, key, scope), the paginated tables, links and usage.

The table functions run a fixed number of queries whatever the number of objects: filtering, sorting
and paging happen in the database, and what a page shows of its rows (links, overrides) is fetched
for that page only. Rows are plain dataclasses holding no ciphertext: a secret field is described
only by whether it is set.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q

from envmanager import crypto
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import Deployment, EnvObject, IdeProject, Link, Workspace

KIND_ORDER = {kind: position for position, kind in enumerate(Kind)}


def scope_label(deployment: Deployment | None) -> str:
    return f"Deployment '{deployment.name}'" if deployment else "the Workspace"


def env_object_identity(env_object: EnvObject) -> dict:
    """Return what names an object and its scope (no field values): shared by the audit log and `env_list`."""
    return {
        "key": env_object.key,
        "scope": "deployment" if env_object.deployment_id else "workspace",
        "deployment": env_object.deployment.name if env_object.deployment_id else None,
        "is_secret": env_object.is_secret,
        "linked_to_all": env_object.linked_to_all,
    }


def env_object_get(*, workspace: Workspace, kind: Kind | str, key: str, deployment: Deployment | None = None) -> EnvObject:
    """Return the object of `kind` and `key` in the given scope; ValidationError if there is none."""
    kind = Kind(kind)
    objects = EnvObject.objects.select_related("deployment", "workspace").filter(workspace=workspace, kind=kind, key=key)
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    env_object = objects.first()
    if env_object is None:
        raise ValidationError(f"No {kind.label.lower()} '{key}' in {scope_label(deployment)}.")
    return env_object


def env_object_or_none(
    *, workspace: Workspace, kind: Kind, key: str, deployment: Deployment | None
) -> EnvObject | None:
    """Return the object at (type, key, scope), or None if there is none."""
    try:
        return env_object_get(workspace=workspace, kind=kind, key=key, deployment=deployment)
    except ValidationError:
        return None


def plaintext_values(env_object: EnvObject) -> dict:
    """Return every field's value with secrets decrypted (kept in memory; never rendered)."""
    values = {}
    for name in env_object.spec.field_names:
        if env_object.is_secret_field(name):
            token = env_object.secrets.get(name)
            values[name] = crypto.unseal_value(token) if token else None
        else:
            values[name] = env_object.data.get(name)
    return values


def differing_fields(existing: EnvObject, values: dict) -> list[str]:
    """Return the fields whose value in `values` differs from the Workspace object's own."""
    current = plaintext_values(existing)
    return [name for name in existing.spec.field_names if values.get(name) != current[name]]


def env_object_list(*, workspace: Workspace, deployment: Deployment | None, kinds=None) -> list[EnvObject]:
    """Return the objects of one scope, ordered by type then key, with their links (two queries)."""
    links = Link.objects.select_related("deployment", "ide_project")
    objects = EnvObject.objects.filter(workspace=workspace).prefetch_related(Prefetch("links", queryset=links))
    objects = objects.filter(deployment=deployment) if deployment else objects.filter(deployment__isnull=True)
    if kinds:
        objects = objects.filter(kind__in=kinds)
    return sorted(objects, key=lambda obj: (KIND_ORDER[obj.kind], obj.key))


# --- The tables of the Environment pages -------------------------------------------------------

PAGE_SIZE = 50
MAX_QUERY_LENGTH = 250

# Sort keys offered in the tables; the key breaks ties so pages never overlap.
SORTS = {
    "key": ("key", "id"),
    "-key": ("-key", "-id"),
    "updated": ("updated_at", "key", "id"),
    "-updated": ("-updated_at", "key", "id"),
}
DEFAULT_SORT = "key"

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
    copy_text: str | None = None  # the whole plain value as text, for the copy button; None for a secret or no value


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
    # On a Deployment's or IDE project's page: where the effective value comes from
    # (`selectors.environment.Source`, its label, and whether it is the target's override).
    source: str | None = None
    source_label: str = ""
    overridden_here: bool = False
    link_id: int | None = None
    # Filled in by the view from the user's permissions.
    can_update: bool = False
    can_delete: bool = False
    can_select: bool = False  # has a checkbox for the page's bulk actions

    @property
    def is_workspace_scoped(self) -> bool:
        return self.deployment_id is None

    @property
    def scope_label(self) -> str:
        return "Workspace" if self.deployment_id is None else f"Deployment {self.deployment_name}"


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
    for name in spec.summary_fields:
        field_spec = spec.field(name)
        overridden = name in override_plain or name in override_sealed
        if spec.is_secret(name, is_secret_flag=is_secret_flag):
            is_set = name in override_sealed if overridden else name in sealed_names
            items.append(SummaryItem(name, field_spec.label, secret=True, is_set=is_set, overridden=overridden))
            continue
        value = override_plain.get(name) if overridden else plain.get(name)
        is_set = value not in (None, "")
        copy_text = (json.dumps(value) if isinstance(value, (dict, list)) else str(value)) if is_set else None
        if isinstance(value, str) and len(value) > SUMMARY_MAX_LENGTH:
            value = value[: SUMMARY_MAX_LENGTH - 1] + "…"
        items.append(
            SummaryItem(
                name, field_spec.label, value=value, is_set=is_set, overridden=overridden, copy_text=copy_text
            )
        )
    return items


def link_summaries(object_ids: list[int]) -> dict[int, LinkSummary]:
    """Return the links of the given Workspace objects, in one query."""
    summaries = {object_id: LinkSummary() for object_id in object_ids}
    if not object_ids:
        return summaries
    links = (
        Link.objects.filter(env_object_id__in=object_ids)
        .annotate(overrides=Link.has_override_expression())
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


ROW_COLUMNS = ("id", "kind", "key", "is_secret", "deployment_id", "linked_to_all", "updated_at", "data", "secrets")


def kind_counts(objects) -> dict[str, int]:
    """Count the EnvObject rows of `objects` by type, in one aggregate query (the type menus' counts)."""
    return dict(objects.values_list("kind").annotate(n=Count("id")).order_by())


def paginate(queryset, page_number, page_size=PAGE_SIZE) -> Page:
    return Paginator(queryset, page_size).get_page(page_number)


def _rows(page: Page, *, with_links: bool, source_for=None) -> list[ObjectRow]:
    """Build the page's rows; `source_for(values, overridden)` returns the row's source fields, if any."""
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
                link_id=values.get("link_id"),
                **(source_for(values, bool(override_plain or override_sealed)) if source_for else {}),
            )
        )
    if with_links:
        summaries = link_summaries([row.id for row in rows if row.is_workspace_scoped])
        for row in rows:
            row.links = summaries.get(row.id)
            if row.links is not None:
                row.links.linked_to_all = row.linked_to_all
    return rows


def object_page(kind, queryset, *, query, sort, scope, page, total_queryset, with_links, source_for=None):
    sort = clean_sort(sort)
    query = clean_query(query)
    filtered = queryset.filter(key__icontains=query) if query else queryset
    page_obj = paginate(filtered.order_by(*SORTS[sort]), page)
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
    values = objects.values(*ROW_COLUMNS, deployment_name=F("deployment__name"))
    return object_page(
        kind, values, query=query, sort=sort, scope=scope, page=page, total_queryset=objects, with_links=True
    )



# --- How one object reaches the targets of its Workspace ----------------------------------------

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
        .annotate(overrides=Link.has_override_expression())
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
