from django.conf import settings
from django.db import models
from django.db.models import Q

from envmanager.kinds import Kind


class MigrationRun(models.Model):
    """One *Migrate from Airflow* run on a Deployment.

    At most one unfinished run per Deployment (a conditional unique constraint), and a run holds its
    Deployment's migration lock (`services/migration_lock.py`) while its process lives: that is what stops two
    people from migrating the same Deployment at once, and lets a run start at once after a process died.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned (process stopped)"

    deployment = models.ForeignKey("envmanager.Deployment", on_delete=models.CASCADE, related_name="migration_runs")
    kind = models.CharField(max_length=20, choices=[(Kind.CONNECTION, "Connections"), (Kind.VARIABLE, "Airflow variables")])
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_by_name = models.CharField(max_length=150)
    # From the confirmation form: a repeated POST (double click, retry) finds the first run instead of a second.
    request_key = models.CharField(max_length=64, null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    # A *Copy only* run (`keep_source`) leaves the source rows in Airflow.
    keep_source = models.BooleanField(default=False)
    # When *Restore to Airflow* finished every row of this run (None: not restored, or not completely).
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment"], condition=Q(finished_at__isnull=True), name="migrationrun_one_active_per_deployment"
            ),
            models.UniqueConstraint(
                fields=["deployment", "request_key"], condition=Q(request_key__isnull=False),
                name="migrationrun_request_key_unique_per_deployment",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, state="running") | Q(finished_at__isnull=False) & ~Q(state="running"),
                name="migrationrun_finished_iff_not_running",
            ),
        ]

    def __str__(self):
        return f"Migration of {self.get_kind_display().lower()} from {self.deployment} ({self.get_state_display()})"


class MigrationSnapshot(models.Model):
    """One source row a migration run copied: the row exactly as read, and what the copy made in envmanager.

    Both are Fernet tokens (`crypto.seal_value`): `row` holds every column, Airflow's own ciphertext
    included; `copy` the values the copy wrote (so a restore can tell whether they were changed since).
    Written in the copy's transaction, before the row is deleted from Airflow (`services/migration_snapshots.py`).
    `restore_state` is the per-row progress of *Restore to Airflow* (`services/migration_restore.py`).
    """

    class RestoreState(models.TextChoices):
        PENDING = "pending", "Not restored"
        WRITTEN = "written", "Written back to Airflow"  # envmanager's copy not handled yet
        RESTORED = "restored", "Restored; envmanager's copy removed"
        KEPT = "kept", "Restored; envmanager's copy kept"
        SKIPPED = "skipped", "Not written back: the key is in Airflow again"

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="snapshots")
    source_id = models.BigIntegerField()
    key = models.CharField(max_length=250)
    row = models.TextField()
    copy = models.TextField()
    restore_state = models.CharField(max_length=20, choices=RestoreState.choices, default=RestoreState.PENDING)
    restore_note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "source_id"], name="migrationsnapshot_one_per_source_row"),
        ]

    def __str__(self):
        return f"Snapshot of '{self.key}' ({self.get_restore_state_display()})"
