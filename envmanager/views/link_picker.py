"""Link existing Workspace objects to a Deployment or IDE project from its Environment tab (a search picker)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_http_methods

from envmanager import permissions
from envmanager.kinds import Kind
from envmanager.selectors.links import link_candidates, link_candidates_queryset
from envmanager.services import link_sets as link_set_services
from envmanager.views.base import KIND_MENU_LABELS, KIND_NOUNS, action_done, page_target, render_page, safe_next, wants_fragment

RESULTS_ID = "link-picker-results"


def _picker(request, workspace, target, kind, *, back, error=None):
    source = request.POST if request.method == "POST" else request.GET
    query = source.get("q", "")
    context = {
        "workspace": workspace, "target": target, "kind": kind, "kind_noun": KIND_NOUNS[kind], "query": query,
        "kind_label": KIND_MENU_LABELS[kind],
        "candidates": link_candidates(target=target, kind=kind, query=query, selected_ids=source.getlist("objects")),
        "action_url": target.url("link-existing", kind), "back_url": back, "error": error,
        "dialog": wants_fragment(request), "results_id": RESULTS_ID,
    }
    fragment = "picker-results" if request.htmx and request.htmx.target == RESULTS_ID else "picker"
    return render_page(request, "envmanager/target_link_existing.html", context, fragment=fragment)


@require_http_methods(["GET", "POST"])
@login_required
def target_link_existing(request, workspace_id, kind, deployment_id=None, ide_project_id=None):
    """Find the Workspace objects of one type a target does not receive yet (type to filter) and link the
    ticked ones. The same permissions as linking from the links dialog."""
    workspace, target = page_target(
        request, workspace_id, deployment_id, ide_project_id, workspace_perm=permissions.ENVOBJECTS_UPDATE,
        deployment_perm=permissions.DEPLOYMENT_UPDATE,
    )
    kind = Kind(kind)
    back = safe_next(request, target.url("environment", kind))
    if request.method == "GET":
        return _picker(request, workspace, target, kind, back=back)
    ids = {int(pk) for pk in request.POST.getlist("objects") if pk.isdigit()}
    chosen = list(link_candidates_queryset(target=target, kind=kind).filter(pk__in=ids).order_by("key"))
    if len(chosen) != len(ids) or not ids:
        error = ("Choose at least one object to link." if not ids else
                 "Some of the chosen objects are linked already or no longer exist; nothing was linked.")
        return _picker(request, workspace, target, kind, back=back, error=error)
    try:
        link_set_services.target_links_add(target=target, env_objects=chosen, actor=request.user)
    except ValidationError as exc:
        return _picker(request, workspace, target, kind, back=back, error=" ".join(exc.messages))
    keys = ", ".join(f"'{env_object.key}'" for env_object in chosen)
    return action_done(request, f"Linked {KIND_NOUNS[kind]} {keys} to {target.label}.", redirect_to=back)
