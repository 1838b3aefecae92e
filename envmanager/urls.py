from django.urls import path, register_converter

from envmanager import views
from envmanager.views import invitations, members, target_admin, target_deletion, workspace_admin
from envmanager.views.base import ExportFormatConverter, KindConverter

app_name = "envmanager"

register_converter(KindConverter, "kind")
register_converter(ExportFormatConverter, "export_format")

W = "workspaces/<int:workspace_id>/"
D = W + "deployments/<int:deployment_id>/"
P = W + "ide-projects/<int:ide_project_id>/"
OBJ = W + "objects/<int:object_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("workspaces/new/", workspace_admin.workspace_create, name="workspace-create"),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation-accept"),
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
    path(OBJ + "edit/", views.env_object_edit, name="env-object-edit"),
    path(OBJ + "delete/", views.env_object_delete, name="env-object-delete"),
    path(OBJ + "links/", views.env_object_links, name="env-object-links"),
    *[
        path(
            OBJ + f"deployments/<int:deployment_id>/{action}/",
            views.env_object_deployment_link,
            {"action": action},
            name=f"env-object-{action}",
        )
        for action in ("exclude", "include", "unlink")
    ],
    path(
        OBJ + "ide-projects/<int:ide_project_id>/unlink/",
        views.env_object_ide_project_unlink,
        name="env-object-ide-project-unlink",
    ),
    # Deployments and their Environment tab
    path(W + "deployments/", views.deployment_list, name="deployment-list"),
    path(W + "deployments/new/", target_admin.deployment_create, name="deployment-create"),
    path(D, views.deployment_detail, name="deployment-detail"),
    path(D + "settings/", views.deployment_settings, name="deployment-settings"),
    path(D + "delete/", target_deletion.deployment_delete, name="deployment-delete"),
    path(D + "environment/", views.deployment_environment, name="deployment-environment-home"),
    path(D + "environment/<kind:kind>/", views.deployment_environment, name="deployment-environment"),
    path(D + "environment/<kind:kind>/new/", views.env_object_create, name="deployment-env-object-create"),
    path(D + "objects/<int:object_id>/override/", views.override_edit, name="deployment-override-edit"),
    path(D + "objects/<int:object_id>/override/remove/", views.override_remove, name="deployment-override-remove"),
    path(D + "objects/<int:object_id>/promote/", views.env_object_promote_view, name="env-object-promote"),
    path(D + "api-tokens/", views.api_tokens, name="deployment-tokens"),
    path(D + "api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="deployment-token-revoke"),
    path(D + "export/<export_format:export_format>/", views.environment_export, name="deployment-export"),
    # Migrate from Airflow
    path(D + "migrate/<kind:kind>/", views.migration_plan, name="migration-plan"),
    path(D + "migrate/<kind:kind>/action/", views.migration_action, name="migration-action"),
    path(D + "migrations/<int:run_id>/", views.migration_result, name="migration-result"),
    # IDE projects
    path(W + "ide-projects/", views.ide_project_list, name="ide-project-list"),
    path(W + "ide-projects/new/", target_admin.ide_project_create, name="ide-project-create"),
    path(P + "rename/", target_admin.ide_project_rename, name="ide-project-rename"),
    path(P, views.ide_project_detail, name="ide-project-detail"),
    path(P + "delete/", target_deletion.ide_project_delete, name="ide-project-delete"),
    path(P + "environment/", views.ide_project_environment, name="ide-project-environment-home"),
    path(P + "environment/<kind:kind>/", views.ide_project_environment, name="ide-project-environment"),
    path(P + "objects/<int:object_id>/override/", views.override_edit, name="ide-project-override-edit"),
    path(P + "objects/<int:object_id>/override/remove/", views.override_remove, name="ide-project-override-remove"),
    path(P + "api-tokens/", views.api_tokens, name="ide-project-tokens"),
    path(P + "api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="ide-project-token-revoke"),
    path(P + "export/<export_format:export_format>/", views.environment_export, name="ide-project-export"),
]
