from django.db import models
from django.db.models import Q

from envmanager import crypto

NAME_MAX_LENGTH = 100


class Workspace(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped in the transaction of every change that can alter what one of its targets receives
    # (services/environment_versions.py), so the read API answers a revalidation without resolving.
    environment_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        # Object permissions (django-guardian), named after the hosted product's permissions.
        permissions = [
            ("workspace_get", "workspace.get"),
            ("workspace_update", "workspace.update"),
            ("workspace_members_update", "workspace.members.update"),
            ("workspace_envobjects_get", "workspace.envObjects.get"),
            ("workspace_envobjects_create", "workspace.envObjects.create"),
            ("workspace_envobjects_update", "workspace.envObjects.update"),
            ("workspace_envobjects_delete", "workspace.envObjects.delete"),
            ("workspace_envobjects_export", "workspace.envObjects.export"),
            ("workspace_envobjects_migrate", "workspace.envObjects.migrate"),
            ("workspace_deployments_create", "workspace.deployments.create"),
            ("workspace_auditlogs_get", "workspace.auditLogs.get"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=r"\S"), name="workspace_name_not_blank"),
        ]

    def __str__(self):
        return self.name


class ExecutionMode(models.TextChoices):
    STANDARD = "standard", "Standard"
    REMOTE = "remote_execution", "Remote execution"


class Deployment(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="deployments")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    execution_mode = models.CharField(max_length=20, choices=ExecutionMode.choices, default=ExecutionMode.STANDARD)
    # Both are secrets (credentials and the key to every Airflow secret): Fernet tokens, or "".
    metadata_db_url_encrypted = models.TextField(blank=True, default="")
    # What names the metadata database whatever URL reaches it (`MetadataDatabase.identity`): unique, so one
    # Airflow metadata database belongs to one Deployment across every Workspace.
    metadata_db_identity = models.CharField(max_length=200, null=True, blank=True, editable=False)
    fernet_keys_encrypted = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace_id", "name"]
        permissions = [
            ("deployment_get", "deployment.get"),
            ("deployment_update", "deployment.update"),
            ("deployment_metadatadb_update", "deployment.metadataDatabase.update"),
            ("deployment_delete", "deployment.delete"),
            ("deployment_apitokens_manage", "deployment.apiTokens.manage"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="deployment_unique_name_in_workspace"),
            models.UniqueConstraint(fields=["metadata_db_identity"], name="deployment_one_per_metadata_database"),
            models.CheckConstraint(condition=Q(name__regex=r"\S"), name="deployment_name_not_blank"),
            models.CheckConstraint(
                condition=Q(execution_mode__in=ExecutionMode.values), name="deployment_execution_mode_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Deployment {self.pk} {self.name!r}>"

    @property
    def is_remote_execution(self) -> bool:
        return self.execution_mode == ExecutionMode.REMOTE

    @property
    def has_metadata_db_url(self) -> bool:
        return bool(self.metadata_db_url_encrypted)

    @property
    def has_fernet_keys(self) -> bool:
        return bool(self.fernet_keys_encrypted)

    def reveal_metadata_db_url(self) -> str:
        """Return the decrypted metadata database URL (for the Airflow reader only)."""
        return crypto.decrypt(self.metadata_db_url_encrypted) if self.metadata_db_url_encrypted else ""

    def reveal_fernet_keys(self) -> list[str]:
        """Return Airflow's Fernet keys, newest first (for the Airflow reader only)."""
        if not self.fernet_keys_encrypted:
            return []
        return [k.strip() for k in crypto.decrypt(self.fernet_keys_encrypted).split(",") if k.strip()]


class IdeProject(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ide_projects")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace_id", "name"]
        verbose_name = "IDE project"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="ideproject_unique_name_in_workspace"),
            models.CheckConstraint(condition=Q(name__regex=r"\S"), name="ideproject_name_not_blank"),
        ]

    def __str__(self):
        return self.name
