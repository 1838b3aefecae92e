from django.db import models

READER_ID_MAX_LENGTH = 200


class ApiTokenReader(models.Model):
    """One process (a secrets backend or an agent) reading a token's environment, and what it last holds.

    Written by the read API when a request names its reader (`X-Envmanager-Reader`) and the version it
    was served or confirmed changed, or at most every `READER_WRITE_INTERVAL` otherwise, so a 304
    costs no write. Migrate from Airflow waits on these rows before it deletes a source row.
    """

    token = models.ForeignKey("envmanager.ApiToken", on_delete=models.CASCADE, related_name="readers")
    reader = models.CharField(max_length=READER_ID_MAX_LENGTH)
    # The Workspace's environment_version the reader was last served (200) or confirmed (304).
    version = models.BigIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "reader"], name="apitokenreader_unique_reader_per_token"),
        ]
        indexes = [models.Index(fields=["seen_at"], name="apitokenreader_seen_at")]

    def __repr__(self):
        return f"<ApiTokenReader {self.token_id} {self.reader!r} v{self.version}>"
