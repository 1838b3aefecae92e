from django.urls import path, register_converter

from envmanager import views
from envmanager.targets import DEPLOYMENTS, IDE_PROJECTS
from envmanager.views import (
    bulk,
    history,
    imports,
    invitations,
    link_picker,
    members,
    personal_tokens,
    search,
    target_admin,
    workspace_admin,
)
from envmanager.views.base import ExportFormatConverter, KindConverter

app_name = "envmanager"

register_converter(KindConverter, "kind")
register_converter(ExportFormatConverter, "export_format")

W = "workspaces/<int:workspace_id>/"
D = W + "deployments/<int:deployment_id>/"
P = W + "ide-projects/<int:ide_project_id>/"
OBJ = W + "objects/<int:object_id>/"


def _target_routes(prefix: str, base: str) -> list:
    """The pages every Deployment and IDE project has: one view each, named `<prefix>-<page>`
    (`deployment-detail`, `ide-project-detail`, …; `Target.url(page)` builds them)."""
    override = base + "objects/<int:object_id>/override/"
    return [
        path(base, views.target_detail, name=f"{prefix}-detail"),
        path(base + "delete/", views.target_delete, name=f"{prefix}-delete"),
        path(base + "environment/", views.target_environment, name=f"{prefix}-environment-home"),
        path(base + "environment/<kind:kind>/", views.target_environment, name=f"{prefix}-environment"),
        path(base + "environment/bulk/", bulk.target_bulk, name=f"{prefix}-bulk"),
        path(
            base + "environment/<kind:kind>/link-existing/", link_picker.target_link_existing,
            name=f"{prefix}-link-existing",
        ),
        path(override, views.override_edit, name=f"{prefix}-override-edit"),
        path(override + "remove/", views.override_remove, name=f"{prefix}-override-remove"),
        path(override + "history/", history.history, name=f"{prefix}-override-history"),
        path(override + "history/<int:number>/revert/", history.revert, name=f"{prefix}-override-revert"),
        path(base + "api-tokens/", views.api_tokens, name=f"{prefix}-tokens"),
        path(base + "api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name=f"{prefix}-token-revoke"),
        path(base + "export/<export_format:export_format>/", views.environment_export, name=f"{prefix}-export"),
    ]


urlpatterns = [
    path("", views.home, name="home"),
    path("workspaces/new/", workspace_admin.workspace_create, name="workspace-create"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation-accept"),
    path("account/api-tokens/", personal_tokens.personal_tokens, name="personal-tokens"),
    path("account/api-tokens/<int:token_id>/revoke/", personal_tokens.personal_token_revoke, name="personal-token-revoke"),
    path(W, views.workspace_detail, name="workspace-detail"),
    path(W + "rename/", workspace_admin.workspace_rename, name="workspace-rename"),
    path(W + "audit/", views.audit_list, name="audit-list"),
    path(W + "audit/export/", views.audit_export, name="audit-export"),
    path(W + "compare/", views.compare, name="compare"),
    path(W + "matrix/", views.matrix, name="matrix-home"),
    path(W + "matrix/<kind:kind>/", views.matrix, name="matrix"),
    path(W + "members/lockouts/", views.member_lockouts, name="member-lockouts"),
    path(W + "members/", members.member_list, name="member-list"),
    path(W + "members/add/", members.member_add, name="member-add"),
    path(W + "members/invite/", members.member_invite, name="member-invite"),
    path(W + "members/<int:user_id>/role/", members.member_role, name="member-role"),
    path(W + "members/<int:user_id>/remove/", members.member_remove, name="member-remove"),
    # The Workspace Environment page
    path(W + "environment/", views.workspace_environment, name="workspace-environment-home"),
    path(W + "environment/<kind:kind>/", views.workspace_environment, name="workspace-environment"),
    path(W + "environment/<kind:kind>/new/", views.env_object_create, name="env-object-create"),
    path(W + "environment/import/", imports.env_import_page, name="workspace-import"),
    path(W + "environment/search/", search.workspace_search, name="workspace-search"),
    path(W + "environment/bulk/", bulk.workspace_bulk, name="workspace-bulk"),
    path(OBJ + "edit/", views.env_object_edit, name="env-object-edit"),
    path(OBJ + "delete/", views.env_object_delete, name="env-object-delete"),
    path(OBJ + "links/", views.env_object_links, name="env-object-links"),
    path(OBJ + "history/", history.history, name="env-object-history"),
    path(OBJ + "history/<int:number>/revert/", history.revert, name="env-object-revert"),
    path(W + "deleted/", history.deleted_list, name="workspace-deleted"),
    path(W + "deleted/<int:version_id>/restore/", history.restore, name="deleted-restore"),
    *[
        path(
            OBJ + f"deployments/<int:deployment_id>/{action}/",
            views.env_object_target_link,
            {"action": action},
            name=f"env-object-{action}",
        )
        for action in ("exclude", "include", "unlink")
    ],
    path(
        OBJ + "ide-projects/<int:ide_project_id>/unlink/",
        views.env_object_target_link,
        {"action": "unlink"},
        name="env-object-ide-project-unlink",
    ),
    # Deployments and IDE projects: the pages both have (below), and a Deployment's own
    path(W + "deployments/", views.target_list, {"target_kind": DEPLOYMENTS}, name="deployment-list"),
    path(W + "deployments/new/", target_admin.deployment_create, name="deployment-create"),
    *_target_routes(DEPLOYMENTS.url_prefix, D),
    path(D + "settings/", views.deployment_settings, name="deployment-settings"),
    path(D + "settings/test-connection/", views.deployment_metadata_db_test, name="deployment-metadata-db-test"),
    path(D + "drift/", views.deployment_drift, name="deployment-drift"),
    path(D + "environment/<kind:kind>/new/", views.env_object_create, name="deployment-env-object-create"),
    path(D + "environment/import/", imports.env_import_page, name="deployment-import"),
    path(D + "deleted/", history.deleted_list, name="deployment-deleted"),
    path(D + "objects/<int:object_id>/promote/", views.env_object_promote_view, name="env-object-promote"),
    # Migrate from Airflow
    path(D + "migrate/<kind:kind>/", views.migration_plan, name="migration-plan"),
    path(D + "migrate/<kind:kind>/action/", views.migration_action, name="migration-action"),
    path(D + "migrations/<int:run_id>/", views.migration_result, name="migration-result"),
    path(D + "migrations/<int:run_id>/restore/", views.migration_restore, name="migration-restore"),
    path(W + "ide-projects/", views.target_list, {"target_kind": IDE_PROJECTS}, name="ide-project-list"),
    path(W + "ide-projects/new/", target_admin.ide_project_create, name="ide-project-create"),
    path(P + "rename/", target_admin.ide_project_rename, name="ide-project-rename"),
    *_target_routes(IDE_PROJECTS.url_prefix, P),
]
