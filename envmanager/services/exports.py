"""Exports of an effective environment: the file holds secrets, so every export is audited."""

from django.db import transaction

from envmanager.models import AuditEntry, Deployment, IdeProject
from envmanager.selectors.exports import ExportFile, ExportOptions, environment_export
from envmanager.services.audit import audit_record
from envmanager.targets import Target


@transaction.atomic
def environment_export_record(
    *,
    actor,
    export_format: str,
    target: Target | Deployment | IdeProject | None = None,
    options: ExportOptions | None = None,
    channel: str = "web",
) -> ExportFile:
    """Render an export of one Deployment or IDE project and record who exported what.

    The audit entry names the target, the format and how many objects went out, never a value.
    `channel` says where it was asked for ("web" or "command").
    """
    target = Target.of(target)
    options = options or ExportOptions()
    export = environment_export(export_format=export_format, target=target, options=options)
    audit_record(
        actor=actor, action=AuditEntry.Action.ENVIRONMENT_EXPORT, workspace=target.workspace,
        target_type=target.audit_type, target_id=target.pk, target_label=f"{target.label} as {export_format}",
        extra={
            "format": export_format, "objects": export.count, "skipped": len(export.skipped), "channel": channel,
            "airflow_version": options.airflow_version, "include_airflow_objects": options.include_airflow_objects,
        },
    )
    return export
