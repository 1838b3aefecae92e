from envmanager.models.audit import AuditChainHead, AuditEntry
from envmanager.models.env_objects import EnvObject, Link
from envmanager.models.members import Invitation, Membership, Role, WorkspaceRoleGroup
from envmanager.models.migration import MigrationRun, MigrationSnapshot
from envmanager.models.permissions import (
    DeploymentGroupObjectPermission,
    DeploymentUserObjectPermission,
    WorkspaceGroupObjectPermission,
    WorkspaceUserObjectPermission,
)
from envmanager.models.personal_tokens import IdempotentRequest, PersonalAccessToken
from envmanager.models.readers import ApiTokenReader
from envmanager.models.sso import SSORoleGrant
from envmanager.models.tokens import ApiToken
from envmanager.models.versions import ObjectVersion
from envmanager.models.workspace import Deployment, ExecutionMode, IdeProject, Workspace

__all__ = [
    "ApiToken",
    "ApiTokenReader",
    "AuditChainHead",
    "AuditEntry",
    "Deployment",
    "DeploymentGroupObjectPermission",
    "DeploymentUserObjectPermission",
    "EnvObject",
    "ExecutionMode",
    "IdeProject",
    "IdempotentRequest",
    "Invitation",
    "Link",
    "Membership",
    "MigrationRun",
    "PersonalAccessToken",
    "ObjectVersion",
    "MigrationSnapshot",
    "Role",
    "SSORoleGrant",
    "Workspace",
    "WorkspaceGroupObjectPermission",
    "WorkspaceRoleGroup",
    "WorkspaceUserObjectPermission",
]
