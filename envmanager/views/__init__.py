from envmanager.views.compare import compare, matrix
from envmanager.views.drift import deployment_drift
from envmanager.views.environment import (
    env_object_create,
    env_object_delete,
    env_object_edit,
    target_environment,
    workspace_environment,
)
from envmanager.views.exports import environment_export
from envmanager.views.home import home
from envmanager.views.links import (
    env_object_links,
    env_object_target_link,
    override_edit,
    override_remove,
)
from envmanager.views.migration import migration_action, migration_plan, migration_result
from envmanager.views.migration_restore import migration_restore
from envmanager.views.promotion import env_object_promote_view
from envmanager.views.target_deletion import target_delete
from envmanager.views.tokens import api_token_revoke, api_tokens
from envmanager.views.workspaces import (
    audit_export,
    audit_list,
    deployment_metadata_db_test,
    deployment_settings,
    member_lockouts,
    target_detail,
    target_list,
    workspace_detail,
)

__all__ = [
    "api_token_revoke",
    "api_tokens",
    "audit_export",
    "audit_list",
    "compare",
    "deployment_metadata_db_test",
    "deployment_drift",
    "deployment_settings",
    "env_object_create",
    "env_object_delete",
    "env_object_edit",
    "env_object_links",
    "env_object_promote_view",
    "env_object_target_link",
    "environment_export",
    "home",
    "matrix",
    "member_lockouts",
    "migration_action",
    "migration_plan",
    "migration_result",
    "migration_restore",
    "override_edit",
    "override_remove",
    "target_delete",
    "target_detail",
    "target_environment",
    "target_list",
    "workspace_detail",
    "workspace_environment",
]
