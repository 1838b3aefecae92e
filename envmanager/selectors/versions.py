"""Reading versions: an object's or an override's history page, a version in words, the deletions to restore.

Secret fields are described only as set / changed / cleared / unchanged: their tokens never leave here.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.paginator import Page
from django.db.models import Exists, OuterRef
from django.utils import timezone

from envmanager.kinds import Kind
from envmanager.models import EnvObject, ObjectVersion
from envmanager.models.versions import EXCLUDED, LINKED_TO_ALL, RESTORE_DAYS, SECRET_FLAG
from envmanager.selectors.audit_readable import shown_value
from envmanager.selectors.env_objects import paginate

HISTORY_PAGE_SIZE = 25
DELETED_PAGE_SIZE = 50
_FLAGS = {SECRET_FLAG: "is_secret", LINKED_TO_ALL: "linked_to_all", EXCLUDED: "excluded"}
Change = ObjectVersion.Change


def _shown(value) -> str:
    """A value as the audit log words it; text quoted, so '' and ' ' read as what they are."""
    return repr(value) if isinstance(value, str) and value else shown_value(value)


def version_lines(version: ObjectVersion, previous: ObjectVersion | None) -> list[str]:
    """The change `version` made, field by field, in words; secrets only as set / changed / cleared."""
    if version.change == Change.DELETED and not version.is_override:
        return ["deleted"]
    lines = []
    old_data, old_secrets = (previous.data, previous.secrets) if previous else ({}, {})
    for name in version.changed_fields:
        if name in _FLAGS:
            now = getattr(version, _FLAGS[name])
            lines.append(f"{name}: {_shown(not now)} → {_shown(now)}")
        elif name in version.secrets or name in old_secrets:
            had, has = old_secrets.get(name) is not None, version.secrets.get(name) is not None
            lines.append(f"{name}: {'changed' if had and has else 'set' if has else 'cleared'} (secret)")
        else:
            was, now = old_data.get(name), version.data.get(name)
            if was is None:
                lines.append(f"{name} set to {_shown(now)}")
            elif now is None and name not in version.data:
                lines.append(f"{name} removed (was {_shown(was)})")
            else:
                lines.append(f"{name}: {_shown(was)} → {_shown(now)}")
    lines.extend(f"{name}: unchanged (secret)" for name in sorted(version.secrets) if name not in version.changed_fields)
    return lines


def version_state_lines(version: ObjectVersion) -> list[str]:
    """What a version holds, field by field: plain values, secrets only as set / not set."""
    names = sorted({*version.data, *version.secrets})
    return [
        f"{name}: {'set (secret)' if version.secrets.get(name) is not None else 'not set (secret)'}"
        if name in version.secrets else f"{name}: {_shown(version.data[name])}"
        for name in names
    ]


@dataclass(slots=True)
class VersionRow:
    version: ObjectVersion
    lines: list[str]
    is_current: bool
    # Revert offers itself for any version but the current one and deletions.
    can_revert: bool
    revert_url: str = ""


@dataclass(slots=True)
class HistoryPage:
    rows: list[VersionRow]
    page: Page
    kind: Kind
    key: str
    latest: ObjectVersion | None = None
    extra: dict = field(default_factory=dict)


def history_queryset(object_id: int, *, workspace_id: int, link_deployment_id=None, link_ide_project_id=None):
    stream = ObjectVersion.history_of(
        object_id, link_deployment_id=link_deployment_id, link_ide_project_id=link_ide_project_id
    )
    return ObjectVersion.objects.filter(workspace_id=workspace_id, **stream).order_by("-number")


def history_page(queryset, *, page=1, exists: bool = True) -> HistoryPage | None:
    """One page of a history, newest first, each version's change in words; None if it has no version.

    Three queries whatever the length: the count, the page, and the version before the page's last.
    """
    page_obj = paginate(queryset.select_related(None), page, HISTORY_PAGE_SIZE)
    versions = list(page_obj.object_list)
    if not versions:
        return None
    before = queryset.filter(number__lt=versions[-1].number).first()
    # Numbers run 1..N without gaps (each is the last + 1; versions are only ever purged all together).
    latest_number = page_obj.paginator.count
    rows = []
    for index, version in enumerate(versions):
        previous = versions[index + 1] if index + 1 < len(versions) else before
        current = version.number == latest_number
        rows.append(VersionRow(
            version, version_lines(version, previous), current,
            can_revert=exists and not current and version.change != Change.DELETED,
        ))
    return HistoryPage(rows, page_obj, Kind(versions[0].kind), versions[0].key, latest=versions[0])


def version_get(queryset, number) -> ObjectVersion:
    """The version `number` of a history; ValidationError naming what exists."""
    try:
        return queryset.get(number=int(number))
    except (ObjectVersion.DoesNotExist, ValueError, TypeError):
        last = queryset.values_list("number", flat=True).first()
        raise ValidationError(
            f"No version {number}; versions are 1 to {last}." if last else "This object has no versions."
        ) from None


def deleted_page(*, workspace_id: int, deployment_id: int | None, page=1, now: datetime | None = None) -> Page:
    """One page of the restorable deletions of a Workspace's objects, or of one Deployment's own, newest first."""
    found = restorable_deletions(workspace_id=workspace_id, now=now)
    found = found.filter(deployment_id=deployment_id) if deployment_id else found.filter(deployment__isnull=True)
    return paginate(
        found.defer("data", "secrets").order_by("-created_at", "-pk"), page, DELETED_PAGE_SIZE
    )


def restore_cutoff(now: datetime | None = None) -> datetime:
    """Deletions at or after this moment can still be restored."""
    return (now or timezone.now()) - timedelta(days=RESTORE_DAYS)


def last_deletions():
    """Deletion versions that are still their object's last version, the object gone."""
    later = ObjectVersion.objects.filter(
        object_id=OuterRef("object_id"), link_deployment__isnull=True, link_ide_project__isnull=True,
        number__gt=OuterRef("number"),
    )
    return ObjectVersion.objects.filter(
        change=Change.DELETED, link_deployment__isnull=True, link_ide_project__isnull=True,
    ).exclude(Exists(later)).exclude(Exists(EnvObject.objects.filter(pk=OuterRef("object_id"))))


def restorable_deletions(*, workspace_id: int, now: datetime | None = None):
    """The deletions still restorable in a Workspace (within `RESTORE_DAYS`)."""
    return last_deletions().filter(workspace_id=workspace_id, created_at__gte=restore_cutoff(now))


def object_history_by_key(*, workspace_id: int, kind: Kind, key: str, deployment_id: int | None):
    """The history (newest first) of the object with this key in this scope: the one that exists, else the
    last one deleted. ValidationError if there never was one."""
    scope = {"workspace_id": workspace_id, "kind": kind, "key": key, "deployment_id": deployment_id}
    object_id = EnvObject.objects.filter(**scope).values_list("pk", flat=True).first()
    if object_id is None:
        object_id = (
            ObjectVersion.objects.filter(**scope, link_deployment__isnull=True, link_ide_project__isnull=True)
            .order_by("-created_at", "-pk").values_list("object_id", flat=True).first()
        )
    if object_id is None:
        raise ValidationError(f"{kind.label} '{key}' has no history here: it never existed or was purged.")
    return history_queryset(object_id, workspace_id=workspace_id)
