"""The preview of a bulk import: each row of the file is new, exists (naming the fields that differ), the
same as what is stored, or invalid (why). `services/imports.py` applies the rows that change something."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from envmanager.import_formats import ImportRow
from envmanager.kinds import KIND_SPECS, check_required, clean_fields, key_error
from envmanager.models import Deployment, EnvObject, Workspace
from envmanager.selectors.env_objects import plaintext_values


class ImportStatus:
    NEW = "new"
    EXISTS = "exists"
    SAME = "same"
    INVALID = "invalid"


@dataclass
class PreviewRow:
    row: ImportRow
    status: str
    reason: str | None = None
    differing: tuple[str, ...] = ()  # field names
    cleaned: dict = field(default_factory=dict, repr=False)
    existing: EnvObject | None = field(default=None, repr=False)

    @property
    def differing_labels(self) -> list[str]:
        spec = KIND_SPECS[self.row.kind]
        return [spec.field(name).label for name in self.differing]

    @property
    def changes(self) -> bool:
        return self.status in (ImportStatus.NEW, ImportStatus.EXISTS)


@dataclass
class ImportPreview:
    workspace: Workspace
    deployment: Deployment | None
    rows: list[PreviewRow]

    def count(self, status: str) -> int:
        return sum(1 for item in self.rows if item.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in
                (ImportStatus.NEW, ImportStatus.EXISTS, ImportStatus.SAME, ImportStatus.INVALID)}

    @property
    def changes(self) -> list[PreviewRow]:
        return [item for item in self.rows if item.changes]

    @property
    def scope_label(self) -> str:
        return f"Deployment '{self.deployment.name}'" if self.deployment else f"Workspace '{self.workspace.name}'"


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(message for messages in exc.message_dict.values() for message in messages)
    return " ".join(exc.messages)


def import_preview(*, workspace: Workspace, deployment: Deployment | None, rows: list[ImportRow]) -> ImportPreview:
    """Decide each row against the scope's objects (one query, whatever the number of rows)."""
    kinds = {row.kind for row in rows}
    existing = EnvObject.objects.filter(
        workspace=workspace, kind__in=kinds, key__in=[row.key for row in rows if row.key]
    )
    existing = existing.filter(deployment=deployment) if deployment else existing.filter(deployment__isnull=True)
    by_key = {(obj.kind, obj.key): obj for obj in existing}
    return ImportPreview(workspace, deployment, [_decide(row, by_key.get((row.kind, row.key))) for row in rows])


def _decide(row: ImportRow, existing: EnvObject | None) -> PreviewRow:
    if row.problem:
        return PreviewRow(row, ImportStatus.INVALID, row.problem)
    if error := key_error(row.kind, row.key):
        return PreviewRow(row, ImportStatus.INVALID, error)
    try:
        cleaned = clean_fields(row.kind, row.fields)
        if existing is None:
            check_required(row.kind, cleaned)
    except ValidationError as exc:
        return PreviewRow(row, ImportStatus.INVALID, _messages(exc))
    if existing is None:
        return PreviewRow(row, ImportStatus.NEW, cleaned=cleaned)
    current = plaintext_values(existing)
    differing = tuple(name for name in KIND_SPECS[row.kind].field_names if name in cleaned and cleaned[name] != current[name])
    status = ImportStatus.EXISTS if differing else ImportStatus.SAME
    return PreviewRow(row, status, differing=differing, cleaned=cleaned, existing=existing)
