"""Workspaces, Deployments and IDE projects."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from envmanager import crypto, permissions
from envmanager.airflow_db.confinement import ALREADY_CLAIMED
from envmanager.airflow_db.database import MetadataDatabaseError, open_metadata_database
from envmanager.models import AuditEntry, Deployment, ExecutionMode, IdeProject, Role, Workspace
from envmanager.models.workspace import NAME_MAX_LENGTH
from envmanager.services.audit import audit_record
from envmanager.services.members import membership_set
from envmanager.services.names import clean_name


@transaction.atomic
def workspace_create_as_owner(*, name: str, actor, description: str = "") -> Workspace:
    """Create a Workspace from the home page; `actor` (staff, or anyone when
    ENVMANAGER_ALLOW_WORKSPACE_CREATE is on) becomes its Owner."""
    if not permissions.may_create_workspace(actor):
        raise PermissionDenied("Only staff users create Workspaces here.")
    workspace = workspace_create(name=name, actor=actor, description=description)
    membership_set(workspace=workspace, user=actor, role=Role.OWNER, actor=actor)
    return workspace


def _save_unique_name(instance, *, taken, duplicate: ValidationError) -> None:
    """Save `instance` (new, or with a new name) unless the queryset `taken` holds another row of its name.

    A racing save of the same name passes that check; the unique constraint catches it, and it is
    `duplicate` too.
    """
    if taken.exclude(pk=instance.pk).exists():
        raise duplicate
    try:
        with transaction.atomic():
            instance.save(update_fields=["name"] if instance.pk else None)
    except IntegrityError:
        raise duplicate from None


def _workspace_name_taken(name: str) -> ValidationError:
    return ValidationError({"name": f"A Workspace named '{name}' already exists."})


@transaction.atomic
def workspace_rename(*, workspace: Workspace, name: str, actor) -> Workspace:
    """Give `workspace` a new name (unique across Workspaces)."""
    name = clean_name(name, what="Workspace", max_length=NAME_MAX_LENGTH)
    try:
        workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
    except Workspace.DoesNotExist:
        raise ValidationError("This Workspace was deleted; nothing was saved.") from None
    before = {"name": workspace.name}
    workspace.name = name
    _save_unique_name(workspace, taken=Workspace.objects.filter(name=name), duplicate=_workspace_name_taken(name))
    audit_record(
        actor=actor, action=AuditEntry.Action.WORKSPACE_UPDATE, workspace=workspace,
        target_type=AuditEntry.TargetType.WORKSPACE, target_id=workspace.pk, target_label=f"Workspace '{name}'",
        before=before, after={"name": name},
    )
    return workspace


@transaction.atomic
def workspace_create(*, name: str, actor=None, description: str = "") -> Workspace:
    """Create a Workspace with its role groups."""
    name = clean_name(name, what="Workspace", max_length=NAME_MAX_LENGTH)
    workspace = Workspace(name=name, description=description)
    _save_unique_name(workspace, taken=Workspace.objects.filter(name=name), duplicate=_workspace_name_taken(name))
    permissions.role_groups_create(workspace=workspace)
    audit_record(
        actor=actor, action=AuditEntry.Action.WORKSPACE_CREATE, workspace=workspace, target_type=AuditEntry.TargetType.WORKSPACE,
        target_id=workspace.pk, target_label=f"Workspace '{name}'", after={"name": name},
    )
    return workspace


def _clean_fernet_keys(fernet_keys: str) -> str:
    """Return Airflow's comma-separated Fernet key list, checked, newest first."""
    keys = [k.strip() for k in fernet_keys.split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        if not crypto.is_valid_fernet_key(key):
            # The key itself is never echoed: it is a secret.
            raise ValidationError(
                {"fernet_keys": f"Fernet key #{position} is not a valid Fernet key (32 url-safe base64 bytes)."}
            )
    return ",".join(keys)


@sensitive_variables("url")
def _set_metadata_db_url(deployment: Deployment, url: str) -> None:
    """Store `url` on the (unsaved) `deployment` once it is known to reach an Airflow metadata database
    that envmanager may open and that no other Deployment claims; record that database's identity.
    """
    try:
        with open_metadata_database(url) as database:  # confined, read-only, refused unless Airflow's
            identity = database.identity()
    except MetadataDatabaseError as exc:
        raise ValidationError({"metadata_db_url": str(exc)}) from None
    if Deployment.objects.filter(metadata_db_identity=identity).exclude(pk=deployment.pk).exists():
        raise ValidationError({"metadata_db_url": ALREADY_CLAIMED})
    deployment.metadata_db_url_encrypted = crypto.encrypt(url)
    deployment.metadata_db_identity = identity


def _save(deployment: Deployment, duplicate_name: ValidationError) -> None:
    """Save; a racing insert of the same name or a racing claim of the same database is a friendly error."""
    try:
        with transaction.atomic():
            deployment.save()
    except IntegrityError:
        claimed = deployment.metadata_db_identity and (
            Deployment.objects.filter(metadata_db_identity=deployment.metadata_db_identity)
            .exclude(pk=deployment.pk).exists()
        )
        raise (ValidationError({"metadata_db_url": ALREADY_CLAIMED}) if claimed else duplicate_name) from None


@sensitive_variables("metadata_db_url", "fernet_keys")
@transaction.atomic
def deployment_create(
    *,
    workspace: Workspace,
    name: str,
    actor=None,
    execution_mode: str = ExecutionMode.STANDARD,
    metadata_db_url: str = "",
    fernet_keys: str = "",
) -> Deployment:
    """Create a Deployment and grant the Workspace's roles their permissions on it.

    Only Owners give it a metadata database URL and Fernet keys (`actor` None: the server's administrator).
    """
    if actor is not None and (metadata_db_url or fernet_keys):
        permissions.require(actor, permissions.NEW_DEPLOYMENT_METADATA_DB, workspace)
    name = clean_name(name, what="Deployment", max_length=NAME_MAX_LENGTH)
    if execution_mode not in ExecutionMode.values:
        raise ValidationError(
            {"execution_mode": f"Execution mode must be one of: {', '.join(ExecutionMode.values)}."}
        )
    if workspace.deployments.filter(name=name).exists():
        raise ValidationError({"name": f"Workspace '{workspace.name}' already has a Deployment named '{name}'."})
    deployment = Deployment(workspace=workspace, name=name, execution_mode=execution_mode)
    if fernet_keys:
        deployment.fernet_keys_encrypted = crypto.encrypt(_clean_fernet_keys(fernet_keys))
    if metadata_db_url:
        _set_metadata_db_url(deployment, metadata_db_url)
    _save(deployment, ValidationError({"name": f"Workspace '{workspace.name}' already has a Deployment named '{name}'."}))
    permissions.deployment_permissions_grant(deployment=deployment)
    audit_record(
        actor=actor, action=AuditEntry.Action.DEPLOYMENT_CREATE, workspace=workspace,
        target_type=AuditEntry.TargetType.DEPLOYMENT,
        target_id=deployment.pk, target_label=f"Deployment '{name}'", after=_deployment_snapshot(deployment),
    )
    return deployment


def _deployment_snapshot(deployment: Deployment) -> dict:
    return {
        "name": deployment.name,
        "execution_mode": deployment.execution_mode,
        "metadata_db_url": "[secret: set]" if deployment.has_metadata_db_url else None,
        "fernet_keys": "[secret: set]" if deployment.has_fernet_keys else None,
    }


@sensitive_variables("metadata_db_url", "fernet_keys")
@transaction.atomic
def deployment_update(
    *,
    deployment: Deployment,
    actor=None,
    name: str | None = None,
    execution_mode: str | None = None,
    metadata_db_url: str | None = None,
    fernet_keys: str | None = None,
    clear_metadata_db_url: bool = False,
    clear_fernet_keys: bool = False,
) -> Deployment:
    """Change a Deployment. None (or "") for a secret keeps the stored value; `clear_*` removes it.

    The metadata database URL and Fernet keys are changed by Owners only (`actor` None: a command run by
    the server's administrator). A new URL is opened once to check that it reaches an Airflow metadata
    database that no other Deployment claims.
    """
    if actor is not None and (metadata_db_url or fernet_keys or clear_metadata_db_url or clear_fernet_keys):
        permissions.require(actor, permissions.DEPLOYMENT_METADATA_DB_UPDATE, deployment)
    try:
        deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
    except Deployment.DoesNotExist:  # deleted meanwhile: the delete held the row lock and committed first
        raise ValidationError(f"Deployment '{deployment.name}' was deleted; nothing was saved.") from None
    before = _deployment_snapshot(deployment)
    if name is not None:
        name = clean_name(name, what="Deployment", max_length=NAME_MAX_LENGTH)
        if Deployment.objects.filter(workspace_id=deployment.workspace_id, name=name).exclude(pk=deployment.pk).exists():
            raise ValidationError({"name": f"This Workspace already has a Deployment named '{name}'."})
        deployment.name = name
    if execution_mode is not None:
        if execution_mode not in ExecutionMode.values:
            raise ValidationError(
                {"execution_mode": f"Execution mode must be one of: {', '.join(ExecutionMode.values)}."}
            )
        deployment.execution_mode = execution_mode
    if clear_metadata_db_url:
        deployment.metadata_db_url_encrypted, deployment.metadata_db_identity = "", None
    elif metadata_db_url:
        _set_metadata_db_url(deployment, metadata_db_url)
    if clear_fernet_keys:
        deployment.fernet_keys_encrypted = ""
    elif fernet_keys:
        deployment.fernet_keys_encrypted = crypto.encrypt(_clean_fernet_keys(fernet_keys))
    _save(deployment, ValidationError({"name": f"This Workspace already has a Deployment named '{deployment.name}'."}))
    secrets_written = [
        label for label, given, cleared in (
            ("metadata_db_url", metadata_db_url, clear_metadata_db_url),
            ("fernet_keys", fernet_keys, clear_fernet_keys),
        ) if given or cleared
    ]
    audit_record(
        actor=actor, action=AuditEntry.Action.DEPLOYMENT_UPDATE, workspace=deployment.workspace,
        target_type=AuditEntry.TargetType.DEPLOYMENT,
        target_id=deployment.pk, target_label=f"Deployment '{deployment.name}'", before=before,
        after=_deployment_snapshot(deployment), extra={"secrets_written": secrets_written},
    )
    return deployment


@transaction.atomic
def ide_project_create(*, workspace: Workspace, name: str, actor=None) -> IdeProject:
    """Create an IDE project in `workspace`."""
    name = clean_name(name, what="IDE project", max_length=NAME_MAX_LENGTH)
    project = IdeProject(workspace=workspace, name=name)
    _save_unique_name(project, taken=workspace.ide_projects.filter(name=name), duplicate=ValidationError(
        {"name": f"Workspace '{workspace.name}' already has an IDE project named '{name}'."}
    ))
    audit_record(
        actor=actor, action=AuditEntry.Action.IDE_PROJECT_CREATE, workspace=workspace,
        target_type=AuditEntry.TargetType.IDE_PROJECT,
        target_id=project.pk, target_label=f"IDE project '{name}'", after={"name": name},
    )
    return project


@transaction.atomic
def ide_project_rename(*, ide_project: IdeProject, name: str, actor) -> IdeProject:
    """Give `ide_project` a new name (unique in its Workspace)."""
    name = clean_name(name, what="IDE project", max_length=NAME_MAX_LENGTH)
    try:
        project = IdeProject.objects.select_for_update().select_related("workspace").get(pk=ide_project.pk)
    except IdeProject.DoesNotExist:
        raise ValidationError(f"IDE project '{ide_project.name}' was deleted; nothing was saved.") from None
    before = {"name": project.name}
    project.name = name
    _save_unique_name(project, taken=IdeProject.objects.filter(workspace_id=project.workspace_id, name=name),
                      duplicate=ValidationError({"name": f"This Workspace already has an IDE project named '{name}'."}))
    audit_record(
        actor=actor, action=AuditEntry.Action.IDE_PROJECT_UPDATE, workspace=project.workspace,
        target_type=AuditEntry.TargetType.IDE_PROJECT, target_id=project.pk, target_label=f"IDE project '{name}'",
        before=before, after={"name": name},
    )
    return project
