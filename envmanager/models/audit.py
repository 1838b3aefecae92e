from django.conf import settings
from django.db import models
from django.utils import timezone

# The chain of entries written without a Workspace (sign-ins of unknown users, system jobs).
NO_WORKSPACE_CHAIN = 0


class AuditEntry(models.Model):
    """One recorded change: who, what, when, before/after with secret values redacted."""

    class Action(models.TextChoices):
        """What was done; the values are stored, so they never change (a new action gets a new value)."""

        WORKSPACE_CREATE = "workspace.create", "Workspace created"
        WORKSPACE_UPDATE = "workspace.update", "Workspace renamed"
        DEPLOYMENT_CREATE = "deployment.create", "Deployment created"
        DEPLOYMENT_UPDATE = "deployment.update", "Deployment updated"
        DEPLOYMENT_DELETE = "deployment.delete", "Deployment deleted"
        IDE_PROJECT_CREATE = "ide_project.create", "IDE project created"
        IDE_PROJECT_UPDATE = "ide_project.update", "IDE project renamed"
        IDE_PROJECT_DELETE = "ide_project.delete", "IDE project deleted"
        MEMBERSHIP_SET = "membership.set", "Member role set"
        MEMBERSHIP_REMOVE = "membership.remove", "Member removed"
        USER_INVITE = "user.invite", "User invited"
        USER_PASSWORD_SET = "user.password_set", "Password set"
        USER_SIGN_IN_UNLOCK = "user.sign_in_unlock", "Sign-in unlocked"
        ENV_OBJECT_CREATE = "env_object.create", "Object created"
        ENV_OBJECT_UPDATE = "env_object.update", "Object updated"
        ENV_OBJECT_DELETE = "env_object.delete", "Object deleted"
        ENV_OBJECT_LINK_ALL = "env_object.link_all", "Linked to all Deployments"
        ENV_OBJECT_UNLINK_ALL = "env_object.unlink_all", "Unlinked from all Deployments"
        ENV_OBJECT_MIGRATE = "env_object.migrate", "Migrated from Airflow"
        ENV_OBJECT_MIGRATION_RESTORE = "env_object.migration_restore", "Restored to Airflow"
        ENV_OBJECT_PROMOTE = "env_object.promote", "Promoted to Workspace"
        ENV_OBJECT_REVERT = "env_object.revert", "Object reverted to an earlier version"
        ENV_OBJECT_RESTORE = "env_object.restore", "Deleted object restored"
        LINK_CREATE = "link.create", "Link created"
        LINK_DELETE = "link.delete", "Link removed"
        LINK_EXCLUDE = "link.exclude", "Deployment excluded"
        LINK_INCLUDE = "link.include", "Deployment included"
        LINK_OVERRIDE = "link.override", "Override set"
        LINK_OVERRIDE_REVERT = "link.override_revert", "Override reverted to an earlier version"
        API_TOKEN_CREATE = "api_token.create", "API token created"
        API_TOKEN_REVOKE = "api_token.revoke", "API token revoked"
        PERSONAL_TOKEN_CREATE = "personal_token.create", "Personal access token created"
        PERSONAL_TOKEN_REVOKE = "personal_token.revoke", "Personal access token revoked"
        ENVIRONMENT_EXPORT = "environment.export", "Environment exported"
        ENCRYPTION_KEYS_ROTATE = "encryption_keys.rotate", "Encryption keys rotated"

    class TargetType(models.TextChoices):
        """What kind of thing `target_id` points to."""

        WORKSPACE = "workspace", "Workspace"
        DEPLOYMENT = "deployment", "Deployment"
        IDE_PROJECT = "ide_project", "IDE project"
        ENV_OBJECT = "env_object", "Environment object"
        API_TOKEN = "api_token", "API token"
        PERSONAL_TOKEN = "personal_token", "Personal access token"
        USER = "user", "User"
        ENCRYPTION_KEYS = "encryption_keys", "Encryption keys"

    # SET_NULL keeps the history when a Workspace or user goes; the names are kept as text.
    workspace = models.ForeignKey(
        "envmanager.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    workspace_name = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, help_text="Username, or 'system' for commands run without one.")
    action = models.CharField(max_length=64, choices=Action.choices)
    target_type = models.CharField(max_length=32, choices=TargetType.choices)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=400)
    changes = models.JSONField(default=dict, blank=True)
    # Set before saving (not auto_now_add) because the time is part of the entry's hash.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Tamper evidence (services/audit_chain.py, docs/audit.md): one hash chain per Workspace. `chain` is the
    # Workspace's id when written (NO_WORKSPACE_CHAIN without one) and outlives the Workspace; `chain_seq`
    # numbers the entries of a chain from 1; `entry_hash` is SHA-256 over the content and `prev_hash`.
    chain = models.BigIntegerField(default=NO_WORKSPACE_CHAIN, editable=False)
    chain_seq = models.PositiveBigIntegerField(null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_workspace_recent")]
        constraints = [models.UniqueConstraint(fields=["chain", "chain_seq"], name="audit_one_entry_per_chain_position")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        # A new entry is appended to its hash chain (which computes its hash); nothing else inserts one.
        if self._state.adding and self.chain_seq is None:
            from envmanager.services.audit_chain import append_entries

            append_entries([self])
            return
        super().save(*args, **kwargs)


class AuditChainHead(models.Model):
    """The end of one audit chain: locked while an entry is appended, so concurrent writers line up, and
    holding the last hash and length, so a deleted last entry is noticed too."""

    chain = models.BigIntegerField(primary_key=True)
    length = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"audit chain {self.chain}: {self.length} entries"
