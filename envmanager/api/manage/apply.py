"""Management API: apply a declarative document (docs/gitops.md) to a Workspace, as `env_apply` does."""

from envmanager import permissions
from envmanager.api.manage.auth import manage_view
from envmanager.api.manage.shapes import expect, json_body
from envmanager.api.responses import api_error, api_json
from envmanager.permissions import require, workspace_by_name_for_user
from envmanager.services.declarative import plan_apply, workspace_plan
from envmanager.services.declarative_document import DocumentInvalid, read_document, server_resolver


@manage_view("POST")
def workspace_apply(request, workspace: str):
    """Body `{"document": {...}, "dry_run": false, "prune": false}`; answers with the plan and whether it was applied."""
    workspace = workspace_by_name_for_user(request.user, workspace, perm=permissions.ENVOBJECTS_CREATE)
    require(request.user, permissions.ENVOBJECTS_UPDATE, workspace)
    body = json_body(request, allowed={"document", "dry_run", "prune"}, required={"document"})
    dry_run = bool(expect(body, "dry_run", (bool,), "true or false"))
    prune = bool(expect(body, "prune", (bool,), "true or false"))
    if prune:
        require(request.user, permissions.ENVOBJECTS_DELETE, workspace)
    try:
        plan = workspace_plan(
            workspace=workspace, prune=prune,
            desired=read_document(body["document"], workspace=workspace, resolver=server_resolver),
        )
        plan_apply(plan=plan, actor=request.user, dry_run=dry_run)
    except DocumentInvalid as exc:
        return api_error(f"{len(exc.errors)} error(s) in the document; nothing was applied.", status=400,
                         extra={"errors": exc.errors})
    return api_json({
        "changes": plan.lines,
        "summary": plan.summary,
        "counts": {action: plan.count(action) for action in ("create", "update", "delete")},
        "applied": bool(plan.changes) and not dry_run,
    })
