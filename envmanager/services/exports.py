"""Exports of an effective environment: the file holds secrets, so every export is audited."""

from django.db import transaction

from envmanager.models import AuditEntry, Deployment, IdeProject
from envmanager.selectors.exports import ExportFile, ExportOptions, environment_export, target_label
from envmanager.services.audit import audit_record


@transaction.atomic
def environment_export_record(
    *,
    actor,
    export_format: str,
    deployment: Deployment | None = None,
    ide_project: IdeProject | None = None,
    options: ExportOptions | None = None,
    channel: str = "web",
) -> ExportFile:
    """Render an export of one Deployment or IDE project and record who exported what.

    The audit entry names the target, the format and how many objects went out, never a value.
    `channel` says where it was asked for ("web" or "command").
    """
    options = options or ExportOptions()
    export = environment_export(
        export_format=export_format, deployment=deployment, ide_project=ide_project, options=options
    )
    target = deployment or ide_project
    audit_record(
        actor=actor, action=AuditEntry.Action.ENVIRONMENT_EXPORT, workspace=target.workspace,
        target_type=AuditEntry.TargetType.DEPLOYMENT if deployment else "ide_project", target_id=target.pk,
        target_label=f"{target_label(deployment=deployment, ide_project=ide_project)} as {export_format}",
        extra={
            "format": export_format, "objects": export.count, "skipped": len(export.skipped), "channel": channel,
            "airflow_version": options.airflow_version, "include_airflow_objects": options.include_airflow_objects,
        },
    )
    return export
