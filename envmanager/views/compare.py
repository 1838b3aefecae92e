"""Compare two targets, and the Matrix of who receives what (issue #14, part 3)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.models import Deployment, IdeProject
from envmanager.permissions import workspace_access, workspace_for_user
from envmanager.selectors.compare import compare_targets
from envmanager.selectors.matrix import (
    CELL_LABELS,
    CELL_SHORT_LABELS,
    LEGEND,
    CellState,
    workspace_matrix,
)
from envmanager.views.base import KIND_MENU_LABELS, kind_menu, render_page

# A target in a query string: "deployment-12" or "ide_project-3".
TARGET_PREFIXES = {"deployment": Deployment, "ide_project": IdeProject}
COMPARE_PAGE_SIZE = 100  # rows per bucket page


def target_value(target) -> str:
    return f"{'deployment' if isinstance(target, Deployment) else 'ide_project'}-{target.pk}"


def _parse_target(value: str) -> tuple[str, int] | None:
    """("deployment" | "ide_project", id) from a query value, None when empty; 404 when malformed."""
    if not value:
        return None
    prefix, _, pk = value.partition("-")
    if prefix not in TARGET_PREFIXES or not pk.isascii() or not pk.isdigit() or len(pk) > 18:
        raise Http404("No such target.")
    return prefix, int(pk)


def _targets(values: list[str], deployments: dict, projects: dict) -> list:
    """Resolve the picked targets from the Workspace's own lists (404 for anything else); a picked
    Deployment needs deployment.get (its `may_get` flag, looked up with the list)."""
    targets = []
    for parsed in map(_parse_target, values):
        if parsed is None:
            targets.append(None)
            continue
        found = (deployments if parsed[0] == "deployment" else projects).get(parsed[1])
        if found is None:
            raise Http404("No such target.")
        if isinstance(found, Deployment) and not found.may_get:
            raise PermissionDenied
        targets.append(found)
    return targets


@dataclass(frozen=True)
class BucketPage:
    """One page of a result bucket (only in one, only in the other, different) and its page links."""

    bucket: str
    heading: str
    page: Page
    rows: str
    previous_query: str = ""
    next_query: str = ""


# Bucket, its page parameter in the query string, and the text of its rows.
BUCKET_PARAMS = {"only-from": "from_page", "only-to": "to_page", "differs": "differs_page"}


def _page_query(request, param: str, number: int) -> str:
    params = request.GET.copy()
    params[param] = str(number)
    return f"?{params.urlencode()}"


def _bucket_pages(request, comparison) -> list[BucketPage]:
    """A page of each non-empty bucket, `COMPARE_PAGE_SIZE` rows, each bucket paged on its own (the other
    picks and pages kept in its links): rendering does not grow with the number of keys."""
    source, target = comparison.source.name, comparison.target.name
    buckets = (
        ("only-from", f"Only in {source}", [(ref, f"Only in {source}") for ref in comparison.only_from]),
        ("only-to", f"Only in {target}", [(ref, f"Only in {target}") for ref in comparison.only_to]),
        ("differs", "Different", comparison.differs),
    )
    pages = []
    for bucket, heading, items in buckets:
        if not items:
            continue
        param = BUCKET_PARAMS[bucket]
        page = Paginator(items, COMPARE_PAGE_SIZE).get_page(request.GET.get(param))
        rows = (
            page.object_list if bucket != "differs"
            else [(item, f"Differs: {', '.join(item.fields)}") for item in page.object_list]
        )
        pages.append(BucketPage(
            bucket=bucket, heading=heading, page=page, rows=_result_rows_html(bucket, rows),
            previous_query=_page_query(request, param, page.previous_page_number()) if page.has_previous() else "",
            next_query=_page_query(request, param, page.next_page_number()) if page.has_next() else "",
        ))
    return pages


@require_GET
@login_required
def compare(request, workspace_id):
    """Pick two Deployments or IDE projects and compare their effective environments."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    columns = ("id", "name", "workspace_id")
    listed = Deployment.objects.filter(workspace=workspace).order_by("name").only(*columns)
    listed = permissions.with_permission_flag(request.user, listed, permissions.DEPLOYMENT_GET, name="may_get")
    deployments = {d.pk: d for d in listed}
    projects = {p.pk: p for p in IdeProject.objects.filter(workspace=workspace).order_by("name").only(*columns)}
    source, target = _targets([request.GET.get("from", ""), request.GET.get("to", "")], deployments, projects)
    comparison, buckets = None, []
    if source is not None and target is not None and target_value(source) != target_value(target):
        comparison = compare_targets(source=source, target=target)
        buckets = _bucket_pages(request, comparison)
    context = {
        "workspace": workspace, "access": workspace_access(request.user, workspace),
        "target_groups": [
            ("Deployments", [(target_value(d), d.name) for d in deployments.values()]),
            ("IDE projects", [(target_value(p), p.name) for p in projects.values()]),
        ],
        "source": source, "target": target,
        "source_value": target_value(source) if source else "", "target_value": target_value(target) if target else "",
        "same_target": source is not None and target is not None and comparison is None,
        "comparison": comparison, "buckets": buckets,
        "compare_url": reverse("envmanager:compare", args=[workspace.pk]),
    }
    return render_page(request, "envmanager/compare.html", context, fragment="compare-result")


def _result_rows_html(bucket: str, rows) -> str:
    """A bucket page's table rows as HTML (formatted here, not by per-cell template nodes)."""
    return format_html_join(
        "\n", '<tr class="diff-{}" data-bucket="{}"><td data-label="Type">{}</td><td data-label="Key"><code>{}</code></td>'
        '<td data-label="Difference">{}</td></tr>',
        ((bucket, bucket, Kind(ref.kind).label, ref.key, text) for ref, text in rows),
    )


class _CellLinks:
    """Where a Matrix cell leads, built from one `reverse` per kind of link (not one per cell): for those
    who may edit, the object or the override; for readers, the target's Environment page at that key."""

    SENTINEL_OBJECT, SENTINEL_TARGET = 987654321, 123456789

    def __init__(self, workspace, kind, *, can_edit: bool):
        w, o, t = workspace.pk, self.SENTINEL_OBJECT, self.SENTINEL_TARGET
        self.can_edit = can_edit
        self.object_edit = reverse("envmanager:env-object-edit", args=[w, o])
        self.object_links = reverse("envmanager:env-object-links", args=[w, o])
        self.deployment_override = reverse("envmanager:deployment-override-edit", args=[w, t, o])
        self.ide_project_override = reverse("envmanager:ide-project-override-edit", args=[w, t, o])
        self.deployment_list = reverse("envmanager:deployment-environment", args=[w, t, kind])
        self.ide_project_list = reverse("envmanager:ide-project-environment", args=[w, t, kind])
        self.workspace_list = reverse("envmanager:workspace-environment", args=[w, kind])

    def _fill(self, pattern: str, object_id: int, target_id: int = 0) -> str:
        return pattern.replace(str(self.SENTINEL_OBJECT), str(object_id)).replace(str(self.SENTINEL_TARGET), str(target_id))

    def href(self, cell, column, key: str) -> str:
        if cell.object_id is None:
            return ""
        if not self.can_edit:
            if cell.state in (CellState.NOT_LINKED, CellState.EXCLUDED):
                page = self.workspace_list
            else:
                page = self._fill(self.deployment_list if column.kind == "deployment" else self.ide_project_list, 0, column.id)
            return f"{page}?{urlencode({'q': key})}"
        if cell.state == CellState.OWN:
            return self._fill(self.object_edit, cell.object_id)
        if cell.state == CellState.OVERRIDE:
            pattern = self.deployment_override if column.kind == "deployment" else self.ide_project_override
            return self._fill(pattern, cell.object_id, column.id)
        return self._fill(self.object_links, cell.object_id)


def _matrix_rows_html(result, links: _CellLinks) -> list[str]:
    """The Matrix's body rows as HTML, built here rather than by the template engine: a page holds
    40 keys × hundreds of targets, and per-cell template nodes would cost more than the queries."""
    columns = [(column, escape(column.name)) for column in result.columns]
    rows = []
    for row in result.rows:
        key, raw_key = escape(row.key), row.key
        cells = []
        for cell, (column, column_name) in zip(row.cells, columns, strict=True):
            state, short = cell.state, CELL_SHORT_LABELS[cell.state]
            title = f"{key} · {column_name}: {CELL_LABELS[state] if state != CellState.ABSENT else 'no object'}"
            href = escape(links.href(cell, column, raw_key))
            inner = f'<a href="{href}" title="{title}">{short}</a>' if href else f'<span title="{title}">{short}</span>'
            cells.append(f'<td class="cell-{state}" data-state="{state}">{inner}</td>')
        rows.append(mark_safe(f'<tr><th scope="row" class="matrix-key"><code>{key}</code></th>{"".join(cells)}</tr>'))
    return rows


@require_GET
@login_required
def matrix(request, workspace_id, kind=Kind.CONNECTION):
    """Keys of one type against every Deployment and IDE project: how each target receives each key."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    result = workspace_matrix(
        workspace=workspace, kind=kind, key=request.GET.get("q", ""), target=request.GET.get("target", ""),
        page=request.GET.get("page", 1),
    )
    access = workspace_access(request.user, workspace)
    body = _matrix_rows_html(result, _CellLinks(workspace, kind, can_edit=access.can_update_env_objects))
    context = {
        "workspace": workspace, "access": access, "matrix": result, "body": body,
        "kind": kind, "kind_label": KIND_MENU_LABELS[kind],
        "menu": kind_menu(kind, "envmanager:matrix", workspace.pk),
        "legend": [(state, CELL_SHORT_LABELS[state], CELL_LABELS[state]) for state in LEGEND],
        "list_url": reverse("envmanager:matrix", args=[workspace.pk, kind]),
    }
    return render_page(request, "envmanager/matrix.html", context, fragment="matrix-table")
