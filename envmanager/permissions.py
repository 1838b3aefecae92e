"""Who may do what: the role-to-permission map and every permission check.

Views, commands and the API ask this module; nothing else calls `has_perm`. Permissions are
django-guardian object permissions on a Workspace or a Deployment, granted to the Workspace's
per-role groups (see `WorkspaceRoleGroup`), so a role change is one group change.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from envmanager.models import (
    Deployment,
    DeploymentGroupObjectPermission,
    IdeProject,
    Role,
    Workspace,
    WorkspaceGroupObjectPermission,
    WorkspaceRoleGroup,
)
from envmanager.targets import Target

# Codenames (app label "envmanager"); the vendor's names are the permissions' display names.
WORKSPACE_GET = "workspace_get"
WORKSPACE_UPDATE = "workspace_update"
WORKSPACE_MEMBERS_UPDATE = "workspace_members_update"
ENVOBJECTS_GET = "workspace_envobjects_get"
ENVOBJECTS_CREATE = "workspace_envobjects_create"
ENVOBJECTS_UPDATE = "workspace_envobjects_update"
ENVOBJECTS_DELETE = "workspace_envobjects_delete"
ENVOBJECTS_EXPORT = "workspace_envobjects_export"
ENVOBJECTS_MIGRATE = "workspace_envobjects_migrate"
DEPLOYMENTS_CREATE = "workspace_deployments_create"
AUDITLOGS_GET = "workspace_auditlogs_get"

DEPLOYMENT_GET = "deployment_get"
DEPLOYMENT_UPDATE = "deployment_update"
# Its metadata database URL and Airflow Fernet keys: what reaches into Airflow's own database (Owners only).
DEPLOYMENT_METADATA_DB_UPDATE = "deployment_metadatadb_update"
# A Deployment not made yet has no permissions: whoever may Migrate from Airflow in the Workspace (Owners)
# gives a new Deployment its metadata database URL and Fernet keys.
NEW_DEPLOYMENT_METADATA_DB = ENVOBJECTS_MIGRATE
DEPLOYMENT_DELETE = "deployment_delete"
DEPLOYMENT_APITOKENS_MANAGE = "deployment_apitokens_manage"
# IDE projects have no permissions of their own yet: whoever may delete Workspace objects (Owners,
# Operators) may create, rename and delete an IDE project, which only loses links to Workspace objects
# and its API tokens.
IDE_PROJECT_MANAGE = ENVOBJECTS_DELETE
IDE_PROJECT_DELETE = IDE_PROJECT_MANAGE

ROLE_WORKSPACE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        {
            WORKSPACE_GET, WORKSPACE_UPDATE, WORKSPACE_MEMBERS_UPDATE, ENVOBJECTS_GET, ENVOBJECTS_CREATE,
            ENVOBJECTS_UPDATE, ENVOBJECTS_DELETE, ENVOBJECTS_EXPORT, ENVOBJECTS_MIGRATE, DEPLOYMENTS_CREATE,
            AUDITLOGS_GET,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            WORKSPACE_GET, ENVOBJECTS_GET, ENVOBJECTS_CREATE, ENVOBJECTS_UPDATE, ENVOBJECTS_DELETE,
            ENVOBJECTS_EXPORT, DEPLOYMENTS_CREATE, AUDITLOGS_GET,  # DEPLOYMENTS_CREATE: migration 0015
        }
    ),
    Role.AUTHOR: frozenset({WORKSPACE_GET, ENVOBJECTS_GET}),
    Role.MEMBER: frozenset({WORKSPACE_GET}),
}

ROLE_DEPLOYMENT_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        {DEPLOYMENT_GET, DEPLOYMENT_UPDATE, DEPLOYMENT_METADATA_DB_UPDATE, DEPLOYMENT_DELETE, DEPLOYMENT_APITOKENS_MANAGE}
    ),
    Role.OPERATOR: frozenset({DEPLOYMENT_GET, DEPLOYMENT_UPDATE, DEPLOYMENT_DELETE, DEPLOYMENT_APITOKENS_MANAGE}),
    Role.AUTHOR: frozenset({DEPLOYMENT_GET}),
    Role.MEMBER: frozenset({DEPLOYMENT_GET}),
}


def _permissions(model, codenames) -> dict[str, Permission]:
    """Return the Permission rows of `model` for `codenames` (all of them exist once migrate has run)."""
    content_type = ContentType.objects.get_for_model(model)
    found = {p.codename: p for p in Permission.objects.filter(content_type=content_type, codename__in=codenames)}
    if missing := set(codenames) - set(found):
        raise Permission.DoesNotExist(f"No permission {', '.join(sorted(missing))}: run `manage.py migrate`.")
    return found


def role_groups_create(*, workspace: Workspace) -> dict[str, Group]:
    """Create the Workspace's four role groups with their Workspace permissions.

    The permission rows are written in one statement (guardian's `assign_perm` runs three queries per permission).
    """
    permissions = _permissions(Workspace, set().union(*ROLE_WORKSPACE_PERMISSIONS.values()))
    groups = {role: Group.objects.create(name=f"workspace:{workspace.pk}:{role.value}") for role in Role}
    WorkspaceRoleGroup.objects.bulk_create(
        WorkspaceRoleGroup(workspace=workspace, role=role, group=group) for role, group in groups.items()
    )
    WorkspaceGroupObjectPermission.objects.bulk_create(
        WorkspaceGroupObjectPermission(group=group, permission=permissions[codename], content_object=workspace)
        for role, group in groups.items()
        for codename in sorted(ROLE_WORKSPACE_PERMISSIONS[role])
    )
    return groups


def deployment_permissions_grant(*, deployment: Deployment) -> None:
    """Give each role group of the Deployment's Workspace its permissions on `deployment` (one statement;
    a permission a group already has is left as it is)."""
    permissions = _permissions(Deployment, set().union(*ROLE_DEPLOYMENT_PERMISSIONS.values()))
    DeploymentGroupObjectPermission.objects.bulk_create(
        (
            DeploymentGroupObjectPermission(group_id=role_group.group_id, permission=permissions[codename],
                                            content_object=deployment)
            for role_group in WorkspaceRoleGroup.objects.filter(workspace_id=deployment.workspace_id)
            for codename in sorted(ROLE_DEPLOYMENT_PERMISSIONS[role_group.role])
        ),
        ignore_conflicts=True,
    )


def may_create_workspace(user) -> bool:
    """Return whether `user` may create Workspaces: staff, or anyone signed in when
    ENVMANAGER_ALLOW_WORKSPACE_CREATE is on."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or settings.ENVMANAGER_ALLOW_WORKSPACE_CREATE


def visible_workspaces(user):
    """Return the Workspaces `user` is a member of (all of them for a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    return get_objects_for_user(user, f"envmanager.{WORKSPACE_GET}", klass=Workspace, accept_global_perms=False)


def workspace_for_user(user, workspace_id, *, perm: str | None = None) -> Workspace:
    """Return the Workspace; 404 if the user is not a member, 403 if a member lacks `perm`."""
    try:
        workspace = visible_workspaces(user).get(pk=workspace_id)
    except (Workspace.DoesNotExist, ValueError, TypeError):
        raise Http404("No such Workspace.") from None
    if perm:
        require(user, perm, workspace)
    return workspace


def workspace_by_name_for_user(user, name: str, *, perm: str | None = None) -> Workspace:
    """`workspace_for_user` by name (the management API's URLs): 404 if not a member, 403 without `perm`."""
    workspace = visible_workspaces(user).filter(name=name).first()
    if workspace is None:
        raise Http404(f"No Workspace named '{name}'.")
    if perm:
        require(user, perm, workspace)
    return workspace


def deployment_by_name_for_user(user, workspace: Workspace, name: str, *, perm: str | None = None) -> Deployment:
    """`deployment_for_user` by name: 404 outside `workspace`, 403 without `perm`."""
    deployment = Deployment.objects.filter(workspace=workspace, name=name).first()
    if deployment is None:
        raise Http404(f"No Deployment named '{name}' in Workspace '{workspace.name}'.")
    return deployment_for_user(user, workspace, deployment.pk, perm=perm)


def deployment_for_user(user, workspace: Workspace, deployment_id, *, perm: str | None = None) -> Deployment:
    """Return the Deployment of `workspace` (already checked visible); 404 outside it, 403 without `perm`."""
    try:
        deployment = Deployment.objects.get(pk=deployment_id, workspace=workspace)
    except (Deployment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such Deployment.") from None
    if perm:
        require(user, perm, deployment)
    return deployment


def ide_project_for_user(user, workspace: Workspace, ide_project_id) -> IdeProject:
    """Return the IDE project of `workspace` (already checked visible); 404 outside it.

    IDE projects carry no object permissions of their own: the Workspace's permissions guard them.
    """
    try:
        return IdeProject.objects.get(pk=ide_project_id, workspace=workspace)
    except (IdeProject.DoesNotExist, ValueError, TypeError):
        raise Http404("No such IDE project.") from None


def target_for_user(
    user, workspace: Workspace, *, deployment_id=None, ide_project_id=None, deployment_perm: str | None = None
) -> Target:
    """Return the Deployment or IDE project of `workspace` a URL names; 404 outside it.

    A Deployment also needs `deployment_perm` (403 without it); IDE projects carry no permissions of
    their own, so the caller's Workspace permission decides for them.
    """
    if deployment_id is not None:
        return Target(deployment=deployment_for_user(user, workspace, deployment_id, perm=deployment_perm))
    return Target(ide_project=ide_project_for_user(user, workspace, ide_project_id))


def user_can(user, perm: str, obj) -> bool:
    """Return whether `user` holds object permission `perm` (a codename) on `obj`."""
    if not user.is_authenticated or not user.is_active:
        return False
    if isinstance(obj, Workspace):
        return perm in workspace_access(user, obj).permissions
    return user.has_perm(f"envmanager.{perm}", obj)


def require(user, perm: str, obj) -> None:
    """Raise PermissionDenied unless `user` holds `perm` on `obj`."""
    if not user_can(user, perm, obj):
        raise PermissionDenied(f"You do not have permission {PERMISSION_LABELS.get(perm, perm)} here.")


def _holds(perm: str) -> property:
    """A `WorkspaceAccess` flag for templates and views: whether the user holds `perm` there."""
    return property(lambda access: perm in access.permissions, doc=f"Whether the user holds {perm}.")


@dataclass(frozen=True)
class WorkspaceAccess:
    """What one user may do in one Workspace, computed once per request for templates and views."""

    permissions: frozenset[str]

    def __contains__(self, perm: str) -> bool:
        return perm in self.permissions

    can_view_env_objects = _holds(ENVOBJECTS_GET)
    can_create_env_objects = _holds(ENVOBJECTS_CREATE)
    can_update_env_objects = _holds(ENVOBJECTS_UPDATE)
    can_delete_env_objects = _holds(ENVOBJECTS_DELETE)
    can_export = _holds(ENVOBJECTS_EXPORT)
    can_migrate = _holds(ENVOBJECTS_MIGRATE)
    can_update_workspace = _holds(WORKSPACE_UPDATE)
    can_create_deployments = _holds(DEPLOYMENTS_CREATE)
    can_manage_ide_projects = _holds(IDE_PROJECT_MANAGE)
    can_update_members = _holds(WORKSPACE_MEMBERS_UPDATE)
    can_view_audit = _holds(AUDITLOGS_GET)

    @property
    def role(self) -> Role | None:
        """The user's role, read from the permissions it grants (a membership gives exactly one role's set;
        a superuser holds every permission and counts as Owner): no query of its own."""
        return next((role for role in Role if ROLE_WORKSPACE_PERMISSIONS[role] <= self.permissions), None)

    @property
    def is_read_only(self) -> bool:
        """Whether the user sees environment objects but may change none of them (Authors)."""
        return self.can_view_env_objects and not (
            self.can_create_env_objects or self.can_update_env_objects or self.can_delete_env_objects
        )


def workspace_access(user, workspace: Workspace) -> WorkspaceAccess:
    """Return the user's permissions on `workspace`, looked up once per Workspace instance and user.

    A view checks a permission (`workspace_for_user`) and then shows buttons from the same set: kept on
    the instance, like Django's own permission cache on the user, so both cost one lookup.
    """
    cache = workspace.__dict__.setdefault("_access_by_user", {})
    if user.pk not in cache:
        if not user.is_authenticated or not user.is_active:
            cache[user.pk] = WorkspaceAccess(frozenset())
        else:
            cache[user.pk] = WorkspaceAccess(frozenset(ObjectPermissionChecker(user).get_perms(workspace)))
    return cache[user.pk]


def deployment_permissions(user, deployments) -> dict[int, frozenset[str]]:
    """Return {deployment id: permission codenames} for many Deployments with one prefetch."""
    deployments = list(deployments)
    checker = ObjectPermissionChecker(user)
    if deployments:
        checker.prefetch_perms(deployments)
    return {d.pk: frozenset(checker.get_perms(d)) for d in deployments}


def with_permission_flag(user, deployments, perm: str, *, name: str):
    """Annotate a Deployment queryset with boolean `name`: whether `user` holds `perm` on each, decided by
    the database in the same query (guardian's `get_objects_for_user` as a subquery), where a page lists
    Deployments and checks some of them (`deployment_permissions` costs two more queries)."""
    if not user.is_authenticated or not user.is_active:
        return deployments.annotate(**{name: Value(False, output_field=BooleanField())})
    permitted = get_objects_for_user(user, f"envmanager.{perm}", klass=Deployment, accept_global_perms=False)
    flag = ExpressionWrapper(Q(pk__in=permitted.values("pk")), output_field=BooleanField())
    return deployments.annotate(**{name: flag})


PERMISSION_LABELS = {
    codename: label
    for model in (Workspace, Deployment)
    for codename, label in model._meta.permissions
}
