from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One recorded change: who, what, when, before/after with secret values redacted."""

    # SET_NULL keeps the history when a Workspace or user goes; the names are kept as text.
    workspace = models.ForeignKey(
        "envmanager.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    workspace_name = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_name = models.CharField(max_length=150, help_text="Username, or 'system' for commands run without one.")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=400)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_workspace_recent")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_label}"
