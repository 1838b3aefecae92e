from envmanager.models.audit import AuditEntry
from envmanager.models.env_objects import EnvObject, Link
from envmanager.models.permissions import (
    DeploymentGroupObjectPermission,
    DeploymentUserObjectPermission,
    WorkspaceGroupObjectPermission,
    WorkspaceUserObjectPermission,
)
from envmanager.models.workspace import Deployment, ExecutionMode, IdeProject, Workspace

__all__ = [
    "AuditEntry",
    "Deployment",
    "DeploymentGroupObjectPermission",
    "DeploymentUserObjectPermission",
    "EnvObject",
    "ExecutionMode",
    "IdeProject",
    "Link",
    "Workspace",
    "WorkspaceGroupObjectPermission",
    "WorkspaceUserObjectPermission",
]
