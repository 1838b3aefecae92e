"""The Workspace-wide search across the four types (selectors/search.py)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.views.decorators.http import require_GET

from envmanager import permissions
from envmanager.permissions import workspace_for_user
from envmanager.selectors import search as search_selectors
from envmanager.views.base import KIND_MENU_LABELS, KIND_NOUNS, render_page


def _object_url(workspace, match) -> str:
    """The object's row: its type's table, filtered by its key, in the Workspace or its Deployment."""
    if match.deployment_id is None:
        address = reverse("envmanager:workspace-environment", args=[workspace.pk, match.kind])
    else:
        address = reverse("envmanager:deployment-environment", args=[workspace.pk, match.deployment_id, match.kind])
    return f"{address}?{urlencode({'q': match.key})}#object-{match.id}"


@require_GET
@login_required
def workspace_search(request, workspace_id):
    """Find objects of every type by key or plain value; secret values are never searched."""
    workspace = workspace_for_user(request.user, workspace_id, perm=permissions.ENVOBJECTS_GET)
    result = search_selectors.workspace_search(workspace=workspace, query=request.GET.get("q", ""))
    matches = [
        {"match": match, "url": _object_url(workspace, match), "noun": KIND_NOUNS[match.kind],
         "type_label": KIND_MENU_LABELS[match.kind]}
        for match in result.matches
    ]
    context = {
        "workspace": workspace, "result": result, "matches": matches,
        "search_url": reverse("envmanager:workspace-search", args=[workspace.pk]),
    }
    return render_page(request, "envmanager/env_search.html", context, fragment="search-results")
