"""Admin for the audit log: read-only for everyone, superusers included."""

import json

from django.contrib import admin
from django.utils.html import format_html

from envmanager.admin.base import ReadOnlyModelAdmin
from envmanager.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "actor_name", "action", "workspace_name", "target_label"]
    list_filter = ["action", "workspace", "actor"]
    search_fields = ["target_label"]
    fields = [
        "created_at", "actor_name", "actor", "action", "workspace_name", "workspace", "target_type", "target_id",
        "target_label", "changes_pretty", "chain", "chain_seq", "prev_hash", "entry_hash",
    ]
    readonly_fields = fields

    @admin.display(description="Changes")
    def changes_pretty(self, obj):
        # Services redact secrets before an entry is written; this only formats what is stored.
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, sort_keys=True, ensure_ascii=False))
