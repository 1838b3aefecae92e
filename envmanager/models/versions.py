from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from envmanager.kinds import KEY_MAX_LENGTH, Kind

# How long a deleted object can be restored; older deletions are purged (`env_purge_deleted`).
RESTORE_DAYS = 30
# What a version's `changed_fields` names besides field names: the flags that are part of a version.
SECRET_FLAG, LINKED_TO_ALL, EXCLUDED = "secret flag", "linked to all Deployments", "excluded"


class ObjectVersion(models.Model):
    """One state of an environment object, or of one link's override, right after a change.

    An object's history is its rows with no link target; an override's history is the rows of that
    object and one Deployment or IDE project. Numbers count up per history (unique; the writer holds the
    object's row lock). `object_id` is no foreign key on purpose: the history outlives the object, so a
    deletion can be restored for `RESTORE_DAYS`. Secret fields keep their ciphertext, never plaintext.
    """

    class Change(models.TextChoices):
        """What made this version; the values are stored, so they never change."""

        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        RESTORED = "restored", "Restored"
        REVERTED = "reverted", "Reverted"
        PROMOTED = "promoted", "Promoted to Workspace"
        MIGRATED = "migrated", "Migrated from Airflow"

    workspace = models.ForeignKey("envmanager.Workspace", on_delete=models.CASCADE, related_name="+")
    # The object's own Deployment (a Deployment object), as it was in this version.
    deployment = models.ForeignKey(
        "envmanager.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    # Set on an override's versions: the target whose link carries it.
    link_deployment = models.ForeignKey(
        "envmanager.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    link_ide_project = models.ForeignKey(
        "envmanager.IdeProject", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveIntegerField()
    change = models.CharField(max_length=20, choices=Change.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    changed_fields = models.JSONField(default=list, blank=True)
    is_secret = models.BooleanField(default=False)
    linked_to_all = models.BooleanField(default=False)
    excluded = models.BooleanField(default=False)
    # The object's `data`/`secrets`, or the link's `override_data`/`override_secrets` (tokens as stored).
    data = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    # On a deletion: the object's link rows (target ids, exclusion, override columns), for Restore.
    links = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["object_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_id", "number"],
                condition=Q(link_deployment__isnull=True, link_ide_project__isnull=True),
                name="objectversion_unique_object_number",
            ),
            models.UniqueConstraint(
                fields=["object_id", "link_deployment", "number"],
                condition=Q(link_deployment__isnull=False),
                name="objectversion_unique_deployment_override_number",
            ),
            models.UniqueConstraint(
                fields=["object_id", "link_ide_project", "number"],
                condition=Q(link_ide_project__isnull=False),
                name="objectversion_unique_ide_project_override_number",
            ),
            models.CheckConstraint(
                condition=Q(link_deployment__isnull=True) | Q(link_ide_project__isnull=True),
                name="objectversion_at_most_one_link_target",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "change", "created_at"], name="objectversion_deleted")]

    def __str__(self):
        return f"{self.kind}:{self.key} v{self.number}"

    @staticmethod
    def history_of(object_id: int, *, link_deployment_id=None, link_ide_project_id=None) -> dict:
        """The filter of one history: the object's own, or its override for one Deployment or IDE project."""
        return {
            "object_id": object_id, "link_deployment_id": link_deployment_id,
            "link_ide_project_id": link_ide_project_id,
        }

    @property
    def is_override(self) -> bool:
        return self.link_deployment_id is not None or self.link_ide_project_id is not None
