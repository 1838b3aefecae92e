"""The audit log in words: plain-language action names and each change as a field diff.

Entries are redacted when written (a secret is only "[secret: set]"); this module reads them and never
needs a key. A secret field is described as "changed" (when `secrets_written` names it, or its state
went from set to not set) and never with a value.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q

from envmanager.models import AuditEntry
from envmanager.services.audit import SECRET_SET
from envmanager.services.audit_chain import utc_iso

# Keys of `changes` that are not before/after values but say something about the change.
_NOTE_LABELS = {
    "deployment": "Deployment",
    "override_fields": "override fields",
    "exclusions_removed": "exclusions removed",
    "failures_forgotten": "failed sign-ins forgotten",
    "linked": "linked",
}
_SKIPPED_KEYS = {"before", "after", "secrets_written"}
MISSING = object()


def action_label(action: str) -> str:
    """The action in plain language (`AuditEntry.Action`'s label); an unknown one (an older version's) as 'Word word'."""
    return _ACTION_LABELS.get(action) or action.replace("_", " ").replace(".", ": ").capitalize()


_ACTION_LABELS = dict(AuditEntry.Action.choices)


def _looks_like_fernet_token(value) -> bool:
    return isinstance(value, str) and value.startswith("gAAAAA") and len(value) > 60


def scrub(value):
    """Return `value` with anything shaped like a Fernet token replaced: a guard behind redaction."""
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return "[secret]" if _looks_like_fernet_token(value) else value


def shown_value(value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _is_secret(value) -> bool:
    return value == SECRET_SET or value == "[secret]"


def _flatten(snapshot) -> dict:
    """{name: value} of a before/after snapshot: its `fields` / `override` values and its other keys."""
    if not isinstance(snapshot, dict):
        return {} if snapshot is None else {"value": snapshot}
    flat = {}
    for name, value in snapshot.items():
        if name in ("fields", "override") and isinstance(value, dict):
            flat.update(value)
        else:
            flat[name] = value
    return flat


def field_changes(changes: dict) -> list[str]:
    """Describe a change field by field: 'port: 5432 → 6432', 'password changed', 'host set to "db"'."""
    if not isinstance(changes, dict):
        return []
    changes = scrub(changes)
    before, after = changes.get("before"), changes.get("after")
    secrets_written = set(changes.get("secrets_written") or ())
    old, new = _flatten(before), _flatten(after)
    lines = []
    if before is None and after is not None:
        for name, value in new.items():
            if _is_secret(value):
                lines.append(f"{name} set (secret)")
            elif value not in (None, "", {}, []):
                lines.append(f"{name}: {shown_value(value)}")
    elif after is None and before is not None:
        lines.extend(f"{name} was {shown_value(value)}" if not _is_secret(value) else f"{name} was set (secret)"
                     for name, value in old.items() if value not in (None, "", {}, []))
    else:
        for name in [*old, *(name for name in new if name not in old)]:
            was, now = old.get(name, MISSING), new.get(name, MISSING)
            if name in secrets_written or _is_secret(was) or _is_secret(now):
                # Secrets: only whether they changed. Both "set" and not written: unchanged.
                if _is_secret(now) and (name in secrets_written or not _is_secret(was)):
                    lines.append(f"{name} changed")
                elif _is_secret(was) and not _is_secret(now):
                    lines.append(f"{name} cleared")
                elif name in secrets_written:
                    lines.append(f"{name} changed")
                continue
            if was == now:
                continue
            if was is MISSING or was in (None, ""):
                lines.append(f"{name} set to {shown_value(now)}")
            elif now is MISSING or now in (None, ""):
                lines.append(f"{name} cleared (was {shown_value(was)})")
            else:
                lines.append(f"{name}: {shown_value(was)} → {shown_value(now)}")
    for name in sorted(secrets_written - set(old) - set(new)):
        lines.append(f"{name} changed")
    for key, value in changes.items():
        if key not in _SKIPPED_KEYS and value not in (None, "", [], {}):
            lines.append(f"{_NOTE_LABELS.get(key, key.replace('_', ' '))}: {shown_value(value)}")
    return lines


@dataclass(slots=True)
class ReadableEntry:
    entry: AuditEntry
    action_label: str
    lines: list[str]


def readable(entries: Iterable[AuditEntry]) -> list[ReadableEntry]:
    return [ReadableEntry(entry, action_label(entry.action), field_changes(entry.changes)) for entry in entries]


# --- Export -------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id", "created_at", "workspace", "actor", "action", "action_label", "target_type", "target_id", "target",
    "summary", "changes", "chain", "chain_seq", "prev_hash", "entry_hash",
)
EXPORT_FORMATS = ("jsonl", "csv")


def export_row(entry: AuditEntry) -> dict:
    changes = scrub(entry.changes)
    return {
        "id": entry.pk,
        "created_at": utc_iso(entry.created_at),
        "workspace": entry.workspace_name,
        "actor": entry.actor_name,
        "action": entry.action,
        "action_label": action_label(entry.action),
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target": entry.target_label,
        "summary": "; ".join(field_changes(changes)),
        "changes": changes,
        "chain": entry.chain,
        "chain_seq": entry.chain_seq,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def export_lines(entries: Iterable[AuditEntry], output_format: str) -> Iterator[str]:
    """Yield the export as text chunks: one JSON object per line, or CSV with a header row."""
    if output_format == "jsonl":
        for entry in entries:
            yield json.dumps(export_row(entry), ensure_ascii=False, sort_keys=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        row = export_row(entry)
        row["changes"] = json.dumps(row["changes"], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_entries(*, workspace_id: int | None = None):
    """The entries an export writes, oldest first (chain order): all, or one Workspace's."""
    entries = AuditEntry.objects.all()
    if workspace_id is not None:
        entries = entries.filter(workspace_id=workspace_id)
    return entries.order_by("chain", "chain_seq", "id")


# --- Filters ------------------------------------------------------------------------------------------

def about_deployment(name: str) -> Q:
    """Entries about the Deployment called `name` (as it was named then): the Deployment itself, its own
    objects, its links and overrides, and what was migrated or promoted from it."""
    as_target = Q(changes__after__target=name, changes__after__target_type="deployment") | Q(
        changes__before__target=name, changes__before__target_type="deployment"
    )
    return (
        Q(target_type="deployment", target_label=f"Deployment '{name}'")
        | Q(target_type="deployment", target_label__startswith=f"Deployment '{name}' as ")  # its exports
        | Q(changes__deployment=name)
        | Q(changes__after__deployment=name)
        | Q(changes__before__deployment=name)
        | as_target
    )


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD day from a filter, or None when empty or not a date (the filter is then left out)."""
    try:
        return date.fromisoformat(text.strip()) if text and len(text.strip()) == 10 else None
    except ValueError:
        return None


def filter_entries(entries, *, key="", actor="", action="", deployment: str = "", since: date | None = None,
                   until: date | None = None):
    """Narrow audit entries by object key (part of the label), actor, action, Deployment and days (UTC, inclusive)."""
    if key:
        entries = entries.filter(target_label__icontains=key)
    if actor:
        entries = entries.filter(actor_name=actor)
    if action:
        entries = entries.filter(action=action)
    if deployment:
        entries = entries.filter(about_deployment(deployment))
    if since is not None:
        entries = entries.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    if until is not None:
        entries = entries.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC))
    return entries
