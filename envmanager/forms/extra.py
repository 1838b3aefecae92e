"""A connection's Extra edited key by key (`FieldSpec.key_rows`).

Airflow hides the values of Extra keys its secrets masker names sensitive (`envmanager.sensitive_names`):
those stay write-only here too (an empty input keeps the stored value), while the other keys are shown
and edited one by one. A value that holds a sensitive key at any depth counts as sensitive. The Extra is
still stored as one encrypted JSON text; when the rows change nothing, the stored text is kept exactly,
otherwise the object is written as Airflow writes one (`json.dumps`). Each row says whether its value is
text or JSON (a number, `true`, an object), so `"5"` and `5` stay apart.
"""

import json
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from envmanager.sensitive_names import is_sensitive_name

TEXT, JSON = "text", "json"
UNCHANGED = object()  # what `merge` returns when the rows change nothing


@dataclass(frozen=True)
class ExtraRow:
    key: str
    value: str  # what the input shows: "" for a sensitive row
    type: str  # TEXT or JSON
    original: str  # the stored key this row edits ("" for a new row)
    sensitive: bool
    is_set: bool  # a sensitive row with a stored value


def holds_sensitive(key: str, value) -> bool:
    if is_sensitive_name(key):
        return True
    if isinstance(value, dict):
        return any(holds_sensitive(str(k), v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_sensitive("", item) for item in value)
    return False


def parse_stored(text: str | None) -> dict:
    """Return the stored Extra as a dict ({} when there is none or it is not an object)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class ExtraRowsWidget(forms.Widget):
    """Rows of key / value / type inputs posted as `<name>_key`, `<name>_value`, `<name>_type`, `<name>_original`."""

    template_name = "envmanager/widgets/extra_rows.html"
    PARTS = ("key", "value", "type", "original")
    kept_from = ""  # set by ExtraRowsField

    def value_from_datadict(self, data, files, name):
        if f"{name}_key" not in data:
            return None  # the rows were not posted at all: nothing to change
        lists = [data.getlist(f"{name}_{part}") if hasattr(data, "getlist") else [] for part in self.PARTS]
        return list(zip(*lists, strict=False))

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_key" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = list(value or [])
        context["widget"]["rows"] = rows + [ExtraRow("", "", TEXT, "", False, False)]
        context["widget"]["kept_from"] = self.kept_from
        return context

    def id_for_label(self, id_):
        return f"{id_}_key_0" if id_ else id_


class ExtraRowsField(forms.Field):
    """The rows of one stored Extra (`stored`, decrypted); `kept_from` names where a write-only value left empty
    is kept from when that is not obvious (an override dialog: "the Workspace object")."""

    widget = ExtraRowsWidget

    def __init__(self, *, stored: dict, kept_from: str = "", **kwargs):
        super().__init__(required=False, **kwargs)
        self.stored = stored
        self.widget.kept_from = kept_from

    def prepare_value(self, value):
        """Rows for the widget: from the stored Extra, or (after an error) from what was posted."""
        if value is None:
            return [_stored_row(key, item) for key, item in self.stored.items()]
        if value and isinstance(value[0], ExtraRow):
            return value
        return [_posted_row(self.stored, *row) for row in value]

    def clean(self, value):
        return UNCHANGED if value is None else merge(self.stored, value)


def _stored_row(key: str, value) -> ExtraRow:
    sensitive = holds_sensitive(key, value)
    kind = TEXT if isinstance(value, str) else JSON
    shown = "" if sensitive else (value if kind == TEXT else json.dumps(value))
    return ExtraRow(key, shown, kind, key, sensitive, sensitive)


def _posted_row(stored: dict, key: str, value: str, kind: str, original: str) -> ExtraRow:
    # Shown again after an error: what was typed, except a sensitive value (never echoed).
    sensitive = is_sensitive_name(key) or (original in stored and holds_sensitive(original, stored[original]))
    return ExtraRow(key, "" if sensitive else value, kind if kind in (TEXT, JSON) else TEXT, original,
                    sensitive, sensitive and original in stored)


def rows_and_text_error(label: str) -> str:
    return f"Either edit the {label} keys or paste the whole {label}, not both."


def merge(stored: dict, rows: list[tuple]) -> object:
    """Return the new Extra text from the posted rows, or UNCHANGED; ValidationError naming each bad row."""
    result, seen, errors = {}, set(), []
    for number, (key, value, kind, original) in enumerate(rows, start=1):
        if key == "" and value == "":
            continue  # a blank row, or a row whose key was emptied to remove it
        if key == "":
            errors.append(f"Extra row {number} has a value but no key.")
            continue
        if key in seen:  # even when its first row is in error: every mistake named at once
            errors.append(f"Extra key '{key}' is given twice.")
            continue
        seen.add(key)
        sensitive_stored = original in stored and holds_sensitive(original, stored[original])
        if value == "" and (is_sensitive_name(key) or sensitive_stored) and original in stored:
            result[key] = stored[original]  # a write-only value left empty: keep it
        elif kind == JSON:
            try:
                result[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                errors.append(f"Extra key '{key}': not valid JSON ({exc.msg}); choose text for a plain string.")
        else:
            result[key] = value
    if errors:
        raise ValidationError(errors)
    if list(result.items()) == list(stored.items()):
        return UNCHANGED
    return json.dumps(result) if result else None
