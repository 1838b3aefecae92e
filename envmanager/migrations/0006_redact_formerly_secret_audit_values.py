"""Remove formerly secret plaintext from audit entries written before issue #10.

Until then, unticking "Secret" on a variable or environment variable unsealed its stored value (and every
override's) into plain storage, and the audit entry of that change held the unsealed value in `after`.
Walking each object's entries in order, this replaces with REDACTED:
- the value shown in `after` where the secret flag went from on to off, and that same value wherever it
  appears later in the object's entries (it was a secret);
- override values in the object's link entries from then until the flag is ticked again (the overrides
  were unsealed too, and their plaintext cannot be told from values typed later, so all of them go).
Values typed later that differ from the unsealed one are kept. Entries of other targets are not touched.
"""

import json

from django.db import migrations

SECRET_SET = "[secret: set]"
REDACTED = "[redacted: was secret]"


def _is_secret(snapshot):
    return snapshot.get("is_secret") if isinstance(snapshot, dict) else None


def _value_key(value) -> str:
    return json.dumps(value, sort_keys=True)


def redact(apps, schema_editor):
    AuditEntry = apps.get_model("envmanager", "AuditEntry")
    entries = AuditEntry.objects.filter(target_type="env_object").order_by("target_id", "created_at", "id")
    target, leaked, overrides_unsealed = object(), set(), False
    for entry in entries.iterator():
        if entry.target_id != target:
            target, leaked, overrides_unsealed = entry.target_id, set(), False
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        before, after = changes.get("before"), changes.get("after")
        if _is_secret(before) is True and _is_secret(after) is False:
            value = (after.get("fields") or {}).get("value")
            if value not in (None, SECRET_SET, REDACTED):
                leaked.add(_value_key(value))
            overrides_unsealed = True
        elif _is_secret(before) is False and _is_secret(after) is True:
            overrides_unsealed = False
        changed = False
        for snapshot in (before, after):
            if not isinstance(snapshot, dict):
                continue
            fields = snapshot.get("fields")
            if isinstance(fields, dict) and "value" in fields and _value_key(fields["value"]) in leaked:
                fields["value"], changed = REDACTED, True
            override = snapshot.get("override")
            if (
                overrides_unsealed and isinstance(override, dict)
                and override.get("value") not in (None, SECRET_SET, REDACTED)
            ):
                override["value"], changed = REDACTED, True
        if changed:
            entry.save(update_fields=["changes"])


class Migration(migrations.Migration):
    dependencies = [("envmanager", "0005_owners_set_metadata_database")]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
