"""The Matrix: for one type in a Workspace, how every Deployment and IDE project receives each key.

Rows are keys (Workspace objects' and Deployment objects' keys alike), paginated; columns are targets.
A cell is one of `CellState`. The query count is fixed whatever the number of keys and targets: the
page of keys (count + slice), the Workspace objects of those keys, their link rows, the Deployment
objects of those keys, and the two target lists. Nothing here reads a value, let alone a secret.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator

from envmanager.models import Deployment, EnvObject, IdeProject, Link, Workspace
from envmanager.selectors.env_objects import clean_query

MATRIX_PAGE_SIZE = 40


class CellState:
    WORKSPACE = "workspace"  # the Workspace value, as it is
    OVERRIDE = "override"  # the Workspace object with this target's override
    OWN = "own"  # the Deployment's own object (wins over any Workspace object)
    EXCLUDED = "excluded"  # linked to all Deployments, but this one is excluded
    NOT_LINKED = "not_linked"  # a Workspace object this target does not receive
    ABSENT = "absent"  # no object of this key this target could receive


CELL_LABELS = {
    CellState.WORKSPACE: "Workspace value",
    CellState.OVERRIDE: "Override",
    CellState.OWN: "Own object",
    CellState.EXCLUDED: "Excluded",
    CellState.NOT_LINKED: "Not linked",
    CellState.ABSENT: "—",
}
# What a cell shows (colour and the legend carry the full label, and the cell's title).
CELL_SHORT_LABELS = {
    CellState.WORKSPACE: "WS",
    CellState.OVERRIDE: "Ovr",
    CellState.OWN: "Own",
    CellState.EXCLUDED: "Excl",
    CellState.NOT_LINKED: "·",
    CellState.ABSENT: "",
}
# Legend order: how the target receives the key, most specific first.
LEGEND = [CellState.OWN, CellState.OVERRIDE, CellState.WORKSPACE, CellState.EXCLUDED, CellState.NOT_LINKED]


@dataclass(frozen=True, slots=True)
class Column:
    kind: str  # "deployment" | "ide_project"
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Cell:
    state: str
    object_id: int | None = None  # the object the cell opens: the target's own, or the Workspace object

    @property
    def label(self) -> str:
        return CELL_LABELS[self.state]


@dataclass(slots=True)
class MatrixRow:
    key: str
    workspace_object_id: int | None
    linked_to_all: bool
    cells: list[Cell] = field(default_factory=list)


@dataclass(slots=True)
class Matrix:
    kind: str
    columns: list[Column]
    rows: list[MatrixRow]
    page: Page
    key: str = ""
    target: str = ""

    @property
    def is_filtered(self) -> bool:
        return bool(self.key or self.target)


def _columns(workspace: Workspace, target: str, deployment_ids) -> list[Column]:
    deployments = Deployment.objects.filter(workspace=workspace)
    projects = IdeProject.objects.filter(workspace=workspace)
    if deployment_ids is not None:
        deployments = deployments.filter(pk__in=deployment_ids)
    if target:
        deployments, projects = deployments.filter(name__icontains=target), projects.filter(name__icontains=target)
    return [
        *(Column("deployment", pk, name) for pk, name in deployments.order_by("name").values_list("pk", "name")),
        *(Column("ide_project", pk, name) for pk, name in projects.order_by("name").values_list("pk", "name")),
    ]


def workspace_matrix(
    *, workspace: Workspace, kind: str, key: str = "", target: str = "", page=1, deployment_ids=None,
    page_size: int = MATRIX_PAGE_SIZE,
) -> Matrix:
    """Return one page of keys of `kind` with a cell per target. `deployment_ids` limits the Deployment
    columns (to those the user may see); `key` and `target` filter by part of a key / target name."""
    key, target = clean_query(key), clean_query(target)
    objects = EnvObject.objects.filter(workspace=workspace, kind=kind)
    if key:
        objects = objects.filter(key__icontains=key)
    keys = objects.order_by("key").values_list("key", flat=True).distinct()
    page_obj = Paginator(keys, page_size).get_page(page)
    page_keys = list(page_obj.object_list)
    columns = _columns(workspace, target, deployment_ids)

    workspace_objects = {
        row["key"]: row
        for row in EnvObject.objects.filter(
            workspace=workspace, kind=kind, deployment__isnull=True, key__in=page_keys
        ).values("id", "key", "linked_to_all")
    }
    links: dict[tuple[int, str, int], tuple[bool, bool]] = {}
    if workspace_objects:
        link_rows = Link.objects.filter(env_object_id__in=[row["id"] for row in workspace_objects.values()])
        for link in link_rows.values("env_object_id", "deployment_id", "ide_project_id", "excluded", "override_data",
                                     "override_secrets"):
            column = ("deployment", link["deployment_id"]) if link["deployment_id"] else ("ide_project", link["ide_project_id"])
            links[(link["env_object_id"], *column)] = (
                link["excluded"], bool(link["override_data"] or link["override_secrets"])
            )
    own = {
        (row["key"], row["deployment_id"]): row["id"]
        for row in EnvObject.objects.filter(
            workspace=workspace, kind=kind, deployment__isnull=False, key__in=page_keys
        ).values("id", "key", "deployment_id")
    }

    rows = []
    for row_key in page_keys:
        shared = workspace_objects.get(row_key)
        row = MatrixRow(row_key, shared["id"] if shared else None, bool(shared and shared["linked_to_all"]))
        for column in columns:
            row.cells.append(_cell(row_key, column, shared, links, own))
        rows.append(row)
    return Matrix(kind=kind, columns=columns, rows=rows, page=page_obj, key=key, target=target)


def _cell(key: str, column: Column, shared, links, own) -> Cell:
    if column.kind == "deployment":
        own_id = own.get((key, column.id))
        if own_id is not None:
            return Cell(CellState.OWN, own_id)
    if shared is None:
        return Cell(CellState.ABSENT)
    link = links.get((shared["id"], column.kind, column.id))
    if link is not None:
        excluded, overridden = link
        if excluded:
            return Cell(CellState.EXCLUDED, shared["id"])
        return Cell(CellState.OVERRIDE if overridden else CellState.WORKSPACE, shared["id"])
    if column.kind == "deployment" and shared["linked_to_all"]:
        return Cell(CellState.WORKSPACE, shared["id"])
    return Cell(CellState.NOT_LINKED, shared["id"])

