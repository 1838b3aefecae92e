"""Applying a bulk import (`.env`, `airflow connections export`, `airflow variables export`) to a Workspace
or a Deployment: every row that changes something, in one transaction, through the object services (each
writes its audit entry). The preview is made again here: what a page showed earlier is not trusted."""

from django.db import transaction

from envmanager.import_formats import ImportRow
from envmanager.models import Deployment, Workspace
from envmanager.selectors.imports import ImportPreview, ImportStatus, import_preview
from envmanager.services.env_objects import env_object_create, env_object_update


@transaction.atomic
def env_import(*, workspace: Workspace, deployment: Deployment | None, rows: list[ImportRow], actor) -> ImportPreview:
    """Create the new objects and update the existing ones whose fields differ; invalid and unchanged rows
    are left out. Any refusal (a key created meanwhile, ...) raises ValidationError and changes nothing."""
    preview = import_preview(workspace=workspace, deployment=deployment, rows=rows)
    for item in preview.changes:
        row = item.row
        if item.status == ImportStatus.NEW:
            env_object_create(
                workspace=workspace, deployment=deployment, actor=actor, kind=row.kind, key=row.key,
                fields=row.fields, is_secret=row.is_secret,
            )
            continue
        env_object_update(
            env_object=item.existing, actor=actor,
            fields={name: row.fields[name] for name in item.differing if item.cleaned[name] is not None},
            clear=tuple(name for name in item.differing if item.cleaned[name] is None),
        )
    return preview
